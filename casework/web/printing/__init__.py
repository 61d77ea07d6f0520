"""Printed forms: the page and PDF of each form a workflow package declares (routes), the sheet's layout rules
(paper: headers, numbers, dates in Vietnamese) and the PDF renderer (pdf)."""
