"""A studio's recognizer for client code names, contributed to the
personal-data check through the recognizer hook (Presidio is imported only
inside the factory)."""

from aiart_release import hookimpl


def client_codenames():
    from presidio_analyzer import PatternRecognizer

    return PatternRecognizer(supported_entity="CLIENT_CODENAME",
                             deny_list=["Project Nightjar", "Bluebell"])


@hookimpl
def aiart_release_register_recognizers(register):
    register(client_codenames)
