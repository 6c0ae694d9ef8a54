"""The board report (namespace "reports"), under /reports/."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board.pdf", views.board_pdf, name="board_pdf"),
    path("what-if/", views.what_if, name="what_if"),
]
