"""REST API of the synthesis app, mounted under /api/v1/ by repository/api/urls.py."""
