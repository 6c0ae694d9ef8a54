from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Pages of 100 by default (`?page=2`, `?page_size=500` at most), with `next` and `previous`
    links and the total `count`."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
