"""Notifications: what concerns each user, in the app and by e-mail through the job queue."""
