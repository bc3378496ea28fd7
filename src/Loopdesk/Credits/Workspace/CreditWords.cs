using System.Globalization;

namespace Loopdesk.Credits.Workspace;

/// <summary>How credits read in the workspace.</summary>
public static class CreditWords
{
    public static string Kind(CreditKind kind) => kind switch
    {
        CreditKind.Refund => "Refund",
        CreditKind.AccountCredit => "Account credit",
        CreditKind.FreeUpgrade => "Free upgrade",
        CreditKind.ExpeditedShipping => "Expedited shipping",
        CreditKind.Discount => "Discount",
        _ => kind.ToString(),
    };

    public static string Status(CreditStatus status) => status switch
    {
        CreditStatus.Approved => "approved",
        CreditStatus.PendingApproval => "waiting for approval",
        CreditStatus.Rejected => "rejected",
        _ => status.ToString(),
    };

    public static string Money(decimal amount, string currency) => $"{amount.ToString("N2", CultureInfo.InvariantCulture)} {currency}";

    /// <summary>Reads an amount typed in the workspace ("12.50" or "12,50").</summary>
    public static decimal? ParseAmount(string? text)
        => decimal.TryParse((text ?? "").Trim().Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) ? amount : null;
}
