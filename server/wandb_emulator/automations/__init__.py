"""Automations that fire: the engine subscribed to domain events at app start matches
each event to the enabled automations of its scope, renders the action's payload and
delivers it (webhooks, Slack-style notifications) with retries, into a delivery log."""
