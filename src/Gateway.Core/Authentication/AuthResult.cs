namespace Gateway.Core.Authentication;

/// <summary>RFC 8601 result words shared by DKIM, DMARC and ARC.</summary>
public enum AuthResult
{
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}
