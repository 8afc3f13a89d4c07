"""Exports of a media query: Camtrap DP 1.0.2 (zip), MegaDetector batch output JSON and CSV.

ingest streams the rows (``ailurus_common.contracts.exports``); the caller's view turns each
into its public row model (``gateway.schemas.ExportRow*``); the writers here turn those rows
into bytes as they arrive, so an export of any size holds a page of rows at a time.
"""
