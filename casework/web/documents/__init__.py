"""Documents attached to a case: upload (PDF, JPEG, PNG within a size limit) and download."""
