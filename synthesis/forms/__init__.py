"""Web forms of the synthesis pages, one module per views module: they parse input; the
services decide."""
