from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Pages of 100 by default (`?page=2`, `?page_size=500` at most), with `next` and `previous`
    links and the total `count`."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = described["properties"]
        properties["count"]["description"] = "How many results there are in all."
        properties["next"]["description"] = "The next page's address; null on the last page."
        properties["previous"]["description"] = "The previous page's address; null on the first page."
        properties["results"]["description"] = "This page's results."
        return described
