using MudBlazor;

namespace Loopdesk.Web.Layout;

/// <summary>Calm colours with enough contrast for WCAG AA in both modes.</summary>
public static class WorkspaceTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5f8b",
            Secondary = "#6a4c93",
            AppbarBackground = "#173f5f",
            AppbarText = "#ffffff",
            Background = "#f6f7f9",
            DrawerBackground = "#ffffff",
            TextSecondary = "#4a5563",
            Error = "#b3261e",
            Warning = "#8a5300",
            Success = "#22683a",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8cc4ec",
            // dark text on the light primary: white on it would fail contrast
            PrimaryContrastText = "#0b1a26",
            Secondary = "#c7b3ea",
            AppbarBackground = "#10202e",
            Background = "#121417",
            Surface = "#1b1e22",
            DrawerBackground = "#171a1d",
            TextPrimary = "#e8eaed",
            TextSecondary = "#b6bcc4",
            Error = "#ffb4ab",
            Warning = "#f0c060",
            Success = "#8fd19e",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Liberation Sans", "sans-serif"] },
        },
    };
}
