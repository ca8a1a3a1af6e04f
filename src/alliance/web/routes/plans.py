"""URLs of the shared treatment plan: the client's under me/, the clinician's under clinic/."""

from django.urls import URLPattern, path

from alliance.web.views import plans

urlpatterns: list[URLPattern] = [
    path("me/plan/", plans.my_plan, name="my_plan"),
    path("me/plan/print/", plans.my_plan_print, name="my_plan_print"),
    path("me/plan/history/", plans.my_plan_history, name="my_plan_history"),
    path("me/plan/goals/new/", plans.my_goal_propose, name="my_goal_propose"),
    path("me/plan/goals/<int:goal_id>/edit/", plans.my_goal_edit, name="my_goal_edit"),
    path("me/plan/goals/<int:goal_id>/agree/", plans.my_goal_agree, name="my_goal_agree"),
    path("me/plan/goals/<int:goal_id>/close/", plans.my_goal_close, name="my_goal_close"),
    path("me/plan/ratings/", plans.my_goals_rate, name="my_goals_rate"),
    path("clinic/episodes/<int:episode_id>/plan/", plans.episode_plan, name="episode_plan"),
    path(
        "clinic/episodes/<int:episode_id>/plan/print/",
        plans.episode_plan_print,
        name="episode_plan_print",
    ),
    path(
        "clinic/episodes/<int:episode_id>/plan/history/",
        plans.episode_plan_history,
        name="episode_plan_history",
    ),
    path(
        "clinic/episodes/<int:episode_id>/plan/goals/new/",
        plans.episode_goal_propose,
        name="episode_goal_propose",
    ),
    path(
        "clinic/episodes/<int:episode_id>/plan/summary/",
        plans.plan_summary_edit,
        name="plan_summary_edit",
    ),
    path(
        "clinic/episodes/<int:episode_id>/plan/review/",
        plans.plan_review_set,
        name="plan_review_set",
    ),
    path("clinic/goals/<int:goal_id>/edit/", plans.goal_edit, name="goal_edit"),
    path("clinic/goals/<int:goal_id>/agree/", plans.goal_agree, name="goal_agree"),
    path("clinic/goals/<int:goal_id>/close/", plans.goal_close, name="goal_close"),
]
