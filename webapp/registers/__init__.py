"""Registers a town keeps beside its cases: grid data that no procedure owns (器材存放点 …).

Not a procedure (no workflow, no steps) and not a shared service (webapp/services/ holds what every
procedure uses and is full): a register is one module of plain functions over its table in webapp/models/,
read by its web module in webapp/web/ and by the organisation workbook.
"""
