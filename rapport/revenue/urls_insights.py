from django.urls import path

from rapport.revenue.views import insights

urlpatterns = [
    # The revenue dashboard: ARR, the retention bridge, GRR/NRR/logo retention, renewals.
    path("revenue/", insights.dashboard, name="dashboard"),
    # Accounts by product families, and the one-click cross-sell from a white cell.
    path("revenue/white-space/", insights.white_space, name="white_space"),
    path("revenue/white-space/cross-sell/", insights.cross_sell, name="cross_sell"),
    # An account's revenue tab.
    path("accounts/<id:account_pk>/revenue/", insights.account_revenue, name="account_revenue"),
]
