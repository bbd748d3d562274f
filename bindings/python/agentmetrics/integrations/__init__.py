"""Integrations with agent frameworks and SDKs; each module imports its SDK only when used."""
