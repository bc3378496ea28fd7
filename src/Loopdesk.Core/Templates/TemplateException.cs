using Loopdesk.Core.Common;

namespace Loopdesk.Core.Templates;

/// <summary>Thrown when rendering a template that does not validate; <see cref="Verdict"/> says why.</summary>
public sealed class TemplateException : Exception
{
    public TemplateException() : this(Verdict.Deny("template.invalid", "The template is not valid.")) { }

    public TemplateException(string message) : this(Verdict.Deny("template.invalid", message)) { }

    public TemplateException(string message, Exception innerException) : base(message, innerException)
        => Verdict = Verdict.Deny("template.invalid", message);

    public TemplateException(Verdict verdict) : base(verdict.Message) => Verdict = verdict;

    public Verdict Verdict { get; }
}
