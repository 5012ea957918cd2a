"""Shared WTForms classes: English field names (= service/template keys), Chinese labels and messages.

A procedure's forms live in its package and are imported by the procedure loader; the forms here
need no registration (only step forms are looked up by key, see registry.py).
"""
