"""Errors the notifier reports."""

from ailurus_common.errors import AilurusError, ErrorCode


class SubscriptionNotFound(AilurusError):
    status_code = 404
    code = ErrorCode.SUBSCRIPTION_NOT_FOUND


class WebhookRefused(AilurusError):
    """A webhook target that could reach the cluster's own or private networks (SSRF)."""

    status_code = 400
    code = ErrorCode.WEBHOOK_REFUSED


class WebhookValidationFailed(AilurusError):
    status_code = 400
    code = ErrorCode.WEBHOOK_VALIDATION_FAILED
