from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The person using BackCare; custom from the first migration, as Django advises."""
