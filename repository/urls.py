from django.urls import path

from repository.views import accounts, home, images, media, moderation, requests, upload

urlpatterns = [
    path("", home.home, name="home"),
    path("coverage/", home.coverage, name="coverage"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("account/", accounts.account, name="account"),
    path("account/verification/", accounts.apply_verification, name="apply-verification"),
    path("account/data-terms/", accounts.data_terms, name="data-terms"),
    path("account/tokens/new/", accounts.token_create, name="token-create"),
    path("account/tokens/<int:pk>/revoke/", accounts.token_revoke, name="token-revoke"),
    path("images/", images.image_list, name="image-list"),
    path("images/<int:pk>/", images.image_detail, name="image-detail"),
    path("images/<int:pk>/withdraw/", images.withdraw, name="image-withdraw"),
    path("images/<int:pk>/mask/", images.mask_upload, name="image-mask-upload"),
    path("images/<int:pk>/<str:kind>/", media.image_file, name="image-file"),
    path("contribute/", upload.upload, name="upload"),
    path("contribute/batch/", upload.upload_batch, name="upload-batch"),
    path("contributions/", images.my_contributions, name="my-contributions"),
    path("moderation/", moderation.queue, name="moderation-queue"),
    path("moderation/images/<int:pk>/", moderation.decide_image, name="moderation-decide-image"),
    path(
        "moderation/applications/<int:pk>/",
        moderation.decide_application,
        name="moderation-decide-application",
    ),
    path("moderation/users/", moderation.users, name="users"),
    path("moderation/users/<int:pk>/role/", moderation.set_role, name="user-set-role"),
    path("requests/", requests.board, name="request-board"),
    path("requests/new/", requests.create, name="request-create"),
    path("requests/<int:pk>/", requests.detail, name="request-detail"),
    path("requests/<int:pk>/close/", requests.close, name="request-close"),
]
