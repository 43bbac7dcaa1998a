from django.urls import path

from repository.api import views

urlpatterns = [
    path("images/", views.ImageList.as_view(), name="api-image-list"),
    path("images/upload/", views.ImageUpload.as_view(), name="api-image-upload"),
    path("images/<int:pk>/", views.ImageDetail.as_view(), name="api-image-detail"),
    path("coverage/", views.Coverage.as_view(), name="api-coverage"),
]
