from django.urls import path

from rapport.revenue.views import catalogue, contracts

urlpatterns = [
    # Contracts: the list across the book, one contract, its changes.
    path("revenue/contracts/", contracts.contract_list, name="contract_list"),
    path("revenue/contracts/new/", contracts.contract_create, name="contract_create"),
    path("revenue/contracts/<id:pk>/", contracts.contract_detail, name="contract_detail"),
    path("revenue/contracts/<id:pk>/edit/", contracts.contract_edit, name="contract_edit"),
    path("revenue/contracts/<id:pk>/amend/", contracts.contract_amend, name="contract_amend"),
    path("revenue/contracts/<id:pk>/status/", contracts.contract_status, name="contract_status"),
    path("revenue/contracts/<id:pk>/notice/", contracts.contract_notice, name="contract_notice"),
    path("revenue/contracts/<id:pk>/history/", contracts.contract_history, name="contract_history"),
    # The catalogue: products and their families; the exchange rates.
    path("revenue/products/", catalogue.product_list, name="product_list"),
    path("revenue/products/new/", catalogue.product_create, name="product_create"),
    path("revenue/products/<id:pk>/", catalogue.product_detail, name="product_detail"),
    path("revenue/products/<id:pk>/edit/", catalogue.product_edit, name="product_edit"),
    path("revenue/families/new/", catalogue.family_create, name="family_create"),
    path("revenue/families/<id:pk>/edit/", catalogue.family_edit, name="family_edit"),
    path("revenue/rates/", catalogue.rate_list, name="rate_list"),
    path("revenue/rates/<id:pk>/delete/", catalogue.rate_delete, name="rate_delete"),
]
