import pytest

from newsclf.countries import find_countries, gazetteer, region_of, regions


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Lavrov reafirma el respaldo de Moscú a Maduro; la vicepresidenta venezolana habló de EE.UU.", ("RU", "VE", "US")),
        ("Les soldats maliens et l'armée française à Bamako", ("ML", "FR")),
        ("Lula recebe o presidente argentino no Planalto", ("BR", "AR")),
        ("El gobernador de Jalisco se reunió con el Senado", ("MX",)),
        ("Texas governor signs bill", ("US",)),
        ("MOSCU y CARACAS", ("RU", "VE")),  # no accents, capitals
        ("The Senate passed the bill; it may rain", ()),
        ("La paz y la guerra; ayer gana el equipo", ()),  # common words are not countries
    ],
)
def test_find_countries(text, codes):
    assert find_countries(text) == codes


def test_every_code_has_a_region_and_the_tables_load():
    table = regions()
    assert len(table) > 240 and set(table.values()) == {
        "africa", "asia", "europe", "global", "latin_america", "middle_east", "north_america", "oceania",
    }
    assert all(code in table for code in gazetteer().values())
    assert region_of("ve") == "latin_america" and region_of("RU") == "europe" and region_of("XX") is None
