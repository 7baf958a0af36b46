"""jsdesk.reports: results and data quality of the register, and their exports.

No Qt here: the figures are computed from storage's report queries and the
form's code lists and groups; ``jsdesk.ui`` shows them and writes the PDF.
"""
