"""Signing in and out, and choosing the page language."""
