"""In-app notifications (the header bell, the list page, e-mails): who is told what, and when they
read it. Other apps create them through :func:`kolony.notifications.services.notify`."""
