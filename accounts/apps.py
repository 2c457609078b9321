from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and accounts"

    def ready(self):
        from accounts import signals, user_keys  # noqa: F401 (signals connects the receivers)

        user_keys.install()
