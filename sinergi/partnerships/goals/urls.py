from django.urls import path

from sinergi.partnerships.goals import views

# Under /<lang>/partnerships/<slug>/ (see sinergi/partnerships/urls.py).
urlpatterns = [
    path("design/", views.partnership_design, name="partnership-design"),
    path("design/vision/", views.vision_edit, name="partnership-vision"),
    path("design/goals/", views.goal_create, name="goal-create"),
    path("design/goals/<id:pk>/", views.goal_edit, name="goal-edit"),
    path("design/goals/<id:pk>/delete/", views.goal_delete, name="goal-delete"),
    path("design/goals/<id:pk>/move/", views.goal_move, name="goal-move"),
]
