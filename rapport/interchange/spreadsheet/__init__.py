"""Generic spreadsheet imports: a CSV or XLSX file whose columns the person maps to fields."""
