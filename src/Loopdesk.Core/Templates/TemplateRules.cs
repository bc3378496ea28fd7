using System.Globalization;
using System.Text.RegularExpressions;
using Fluid.Ast;
using Fluid.Ast.BinaryExpressions;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Templates;

/// <summary>
/// What a template may contain: text, placeholders with allowed filters, and <c>if</c>/<c>elsif</c>/<c>else</c>/<c>unless</c>
/// over comparisons of placeholders and literals, nested at most <see cref="TemplateText.MaxIfDepth"/> deep, plus comments.
/// Loops, assignments, captures, includes and the like are refused: a reply has no use for them, and they are where
/// runaway or surprising templates come from.
/// </summary>
internal static partial class TemplateRules
{
    public const int MaxConditionOperators = 10;

    public static readonly IReadOnlySet<string> Filters = new HashSet<string>(StringComparer.Ordinal)
    {
        "humanize", "date", "default", "upcase", "downcase", "capitalize", "truncate",
    };

    /// <summary>
    /// A look at the tags before parsing: refuses any tag but the allowed ones and any nesting deeper than allowed, so the
    /// parser never sees a nesting bomb. The syntax itself is left to the parser.
    /// </summary>
    public static Verdict ScanTags(string source)
    {
        var depth = 0;
        var i = 0;
        while (i < source.Length - 1)
        {
            var open = source.IndexOf('{', i);
            if (open < 0 || open + 1 >= source.Length) break;
            var next = source[open + 1];
            if (next == '{')
            {
                var endOutput = source.IndexOf("}}", open + 2, StringComparison.Ordinal);
                if (endOutput < 0) break;
                i = endOutput + 2;
                continue;
            }
            if (next != '%')
            {
                i = open + 1;
                continue;
            }
            var close = source.IndexOf("%}", open + 2, StringComparison.Ordinal);
            if (close < 0) break;
            var name = TagName(source.AsSpan(open + 2, close - open - 2));
            i = close + 2;
            switch (name)
            {
                case "" or "#" or "else" or "elsif":
                    break;
                case "comment":
                    var end = EndComment().Match(source, i);
                    if (!end.Success) return Verdict.Ok;
                    i = end.Index + end.Length;
                    break;
                case "if" or "unless":
                    if (++depth > TemplateText.MaxIfDepth)
                    {
                        return Verdict.Deny("template.too_deep",
                            $"Conditions may be nested at most {TemplateText.MaxIfDepth} deep; the '{{% {name} %}}' at {Where(source, open)} is one too many.", "source");
                    }
                    break;
                case "endif" or "endunless":
                    depth = Math.Max(0, depth - 1);
                    break;
                default:
                    return Unsupported(name, Where(source, open));
            }
        }
        return Verdict.Ok;
    }

    /// <summary>Walks a parsed template; collects the placeholder paths it reads.</summary>
    public static Verdict Check(IReadOnlyList<Statement> statements, List<string> paths, int depth = 0)
    {
        foreach (var statement in statements)
        {
            var verdict = statement switch
            {
                TextSpanStatement or CommentStatement => Verdict.Ok,
                OutputStatement output => CheckOutput(output, paths),
                IfStatement branch => CheckIf(branch, paths, depth + 1),
                UnlessStatement unless => CheckUnless(unless, paths, depth + 1),
                _ => Unsupported(TagOf(statement), null),
            };
            if (!verdict.IsOk) return verdict;
        }
        return Verdict.Ok;
    }

    private static Verdict CheckOutput(OutputStatement output, List<string> paths)
    {
        var verdict = CheckValue(output.Expression, paths);
        if (!verdict.IsOk) return verdict;
        foreach (var filter in output.Filters ?? [])
        {
            verdict = CheckValue(filter, paths);
            if (!verdict.IsOk) return verdict;
        }
        return Verdict.Ok;
    }

    private static Verdict CheckIf(IfStatement branch, List<string> paths, int depth)
    {
        if (depth > TemplateText.MaxIfDepth) return TooDeep();
        var verdict = CheckCondition(branch.Condition, paths);
        if (verdict.IsOk) verdict = Check(branch.Statements, paths, depth);
        foreach (var elseIf in branch.ElseIfs ?? [])
        {
            if (verdict.IsOk) verdict = CheckCondition(elseIf.Condition, paths);
            if (verdict.IsOk) verdict = Check(elseIf.Statements, paths, depth);
        }
        if (verdict.IsOk && branch.Else is { } otherwise) verdict = Check(otherwise.Statements, paths, depth);
        return verdict;
    }

    private static Verdict CheckUnless(UnlessStatement unless, List<string> paths, int depth)
    {
        if (depth > TemplateText.MaxIfDepth) return TooDeep();
        var verdict = CheckCondition(unless.Condition, paths);
        if (verdict.IsOk) verdict = Check(unless.Statements, paths, depth);
        if (verdict.IsOk && unless.Else is { } otherwise) verdict = Check(otherwise.Statements, paths, depth);
        return verdict;
    }

    /// <summary>Comparisons joined by and/or, at most <see cref="MaxConditionOperators"/> of them.</summary>
    private static Verdict CheckCondition(Expression condition, List<string> paths)
    {
        var operators = 0;
        var pending = new Stack<Expression>();
        pending.Push(condition);
        while (pending.TryPop(out var expression))
        {
            switch (expression)
            {
                case AndBinaryExpression or OrBinaryExpression or EqualBinaryExpression or NotEqualBinaryExpression
                    or GreaterThanBinaryExpression or LowerThanBinaryExpression or ContainsBinaryExpression
                    or StartsWithBinaryExpression or EndsWithBinaryExpression:
                    if (++operators > MaxConditionOperators)
                    {
                        return Verdict.Deny("template.too_complex",
                            $"A condition may combine at most {MaxConditionOperators} comparisons; split it up.", "source");
                    }
                    var binary = (BinaryExpression)expression;
                    pending.Push(binary.Right);
                    pending.Push(binary.Left);
                    break;
                default:
                    var verdict = CheckValue(expression, paths);
                    if (!verdict.IsOk) return verdict;
                    break;
            }
        }
        return Verdict.Ok;
    }

    /// <summary>A placeholder, a literal, or either run through allowed filters.</summary>
    private static Verdict CheckValue(Expression expression, List<string> paths)
    {
        switch (expression)
        {
            case LiteralExpression:
                return Verdict.Ok;
            case MemberExpression member:
                var names = new List<string>(member.Segments.Count);
                foreach (var segment in member.Segments)
                {
                    if (segment is not IdentifierSegment identifier)
                    {
                        return Verdict.Deny("template.unsupported_expression",
                            "Placeholders are written with dots, like {{ customer.first_name }}; brackets and indexes are not supported.", "source");
                    }
                    names.Add(identifier.Identifier);
                }
                paths.Add(string.Join('.', names));
                return Verdict.Ok;
            case FilterExpression filter:
                if (!Filters.Contains(filter.Name))
                {
                    return Verdict.Deny("template.unknown_filter",
                        $"There is no filter '{filter.Name}'. Filters you can use: {string.Join(", ", Filters.Order(StringComparer.Ordinal))}.", "source");
                }
                var verdict = CheckValue(filter.Input, paths);
                foreach (var argument in filter.Parameters ?? [])
                {
                    if (verdict.IsOk) verdict = CheckValue(argument.Expression, paths);
                }
                return verdict;
            default:
                return Verdict.Deny("template.unsupported_expression",
                    "Only placeholders, text in quotes, numbers and comparisons are supported; arithmetic, ranges and calls are not.", "source");
        }
    }

    private static Verdict TooDeep() => Verdict.Deny("template.too_deep",
        $"Conditions may be nested at most {TemplateText.MaxIfDepth} deep.", "source");

    private static Verdict Unsupported(string tag, string? where) => Verdict.Deny("template.unsupported_tag",
        $"'{{% {tag} %}}'{(where is null ? "" : " at " + where)} is not supported. Templates may use text, placeholders like {{{{ customer.first_name }}}}, "
        + "and {% if %}, {% elsif %}, {% else %}, {% unless %} and comments.", "source");

    private static string TagOf(Statement statement)
    {
        var name = statement.GetType().Name;
        if (name.EndsWith("Statement", StringComparison.Ordinal)) name = name[..^"Statement".Length];
        return name.ToLowerInvariant();
    }

    /// <summary>The word a tag starts with, "#" for an inline comment, "" when there is none.</summary>
    private static string TagName(ReadOnlySpan<char> inner)
    {
        inner = inner.Trim();
        if (inner.StartsWith("-")) inner = inner[1..].TrimStart();
        if (inner.StartsWith("#")) return "#";
        var length = 0;
        while (length < inner.Length && (char.IsAsciiLetterOrDigit(inner[length]) || inner[length] == '_')) length++;
        return inner[..length].ToString().ToLowerInvariant();
    }

    /// <summary>"line 2, column 5" of a position in the source.</summary>
    public static string Where(string source, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index && i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"line {line}, column {index - lineStart + 1}");
    }

    [GeneratedRegex(@"\{%-?\s*endcomment\s*-?%\}", RegexOptions.CultureInvariant)]
    private static partial Regex EndComment();
}
