"""The notifier: delivers the outbox's events as CloudEvents to subscribed webhooks."""
