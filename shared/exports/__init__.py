"""Exports: a job that writes some of a tenant's data to S3 as JSON Lines (`service`), the worker that
runs it (`worker`) and their shapes (`models`). A domain starts a job through `service.start`, naming
what it exports: the whole tenant (exportClientData) or some kinds of lines (exportSettings: "setting").
What each kind holds is declared by its domain (`shared/<domain>/export_sources.py`)."""
