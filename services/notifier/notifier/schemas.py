"""The notifier's API models are the shared contracts (``ailurus_common.contracts.events``)."""

from ailurus_common.contracts.events import Delivery, DeliveryList, Subscription, SubscriptionList, SubscriptionRequest

__all__ = ["Delivery", "DeliveryList", "Subscription", "SubscriptionList", "SubscriptionRequest"]
