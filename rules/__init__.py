# YAML data shipped as the aiart_release.rules_data package; read with
# importlib.resources.files("aiart_release.rules_data").
