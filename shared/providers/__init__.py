"""Outbound providers: Twilio (SMS/MMS/voice), SendGrid (email), NMI (card payments).

Import the submodule you need (`shared.providers.twilio_sms`, `.sendgrid_email`, `.nmi`); importing
this package or any of them loads no provider SDK: the SDKs load on the first call. Settings are read on
use (see `shared.providers.config`), failures raise
`shared.providers.errors.ProviderError`, successes return `shared.providers.result.ProviderResult`.
"""
