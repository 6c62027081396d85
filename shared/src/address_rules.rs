//! What a postal address must look like in each country we know: whether it needs a
//! region (state, province, territory) and which, and the shape of its postal code.
//!
//! Countries are ISO 3166-1 alpha-2 codes, checked against the `celes` crate's table. The postal
//! code patterns and the "needs a region" list follow Google's libaddressinput address metadata
//! (the data behind Chrome's and Android's address forms; `zip` and `require` fields), as of
//! 2026-11, for the countries most shops ship to; a country not listed here takes any postal code
//! (1-20 printable characters) or none, and an optional free-text region. Regions are ISO 3166-2
//! subdivision codes without the country prefix (`CA` for California); a client may send the code
//! (any case, with or without `US-`) or the English name.

use regex_lite::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A country's postal code: anchored regular expression (upper-cased input, single spaces).
const POSTAL: &[(&str, &str)] = &[
    ("AT", r"\d{4}"),
    ("AU", r"\d{4}"),
    ("BE", r"\d{4}"),
    ("BG", r"\d{4}"),
    ("BR", r"\d{5}-?\d{3}"),
    (
        "CA",
        r"[ABCEGHJKLMNPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d",
    ),
    ("CH", r"\d{4}"),
    ("CN", r"\d{6}"),
    ("CY", r"\d{4}"),
    ("CZ", r"\d{3} ?\d{2}"),
    ("DE", r"\d{5}"),
    ("DK", r"\d{4}"),
    ("EE", r"\d{5}"),
    ("ES", r"\d{5}"),
    ("FI", r"\d{5}"),
    ("FR", r"\d{2} ?\d{3}"),
    (
        "GB",
        r"GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}",
    ),
    ("GR", r"\d{3} ?\d{2}"),
    ("HR", r"\d{5}"),
    ("HU", r"\d{4}"),
    ("IE", r"[\dA-Z]{3} ?[\dA-Z]{4}"),
    ("IN", r"\d{6}"),
    ("IS", r"\d{3}"),
    ("IT", r"\d{5}"),
    ("JP", r"\d{3}-?\d{4}"),
    ("KR", r"\d{5}"),
    ("LT", r"(?:LT-)?\d{5}"),
    ("LU", r"(?:L-)?\d{4}"),
    ("LV", r"LV-\d{4}"),
    ("MT", r"[A-Z]{3} ?\d{2,4}"),
    ("MX", r"\d{5}"),
    ("NL", r"\d{4} ?[A-Z]{2}"),
    ("NO", r"\d{4}"),
    ("NZ", r"\d{4}"),
    ("PL", r"\d{2}-\d{3}"),
    ("PT", r"\d{4}-\d{3}"),
    ("RO", r"\d{6}"),
    ("SE", r"\d{3} ?\d{2}"),
    ("SG", r"\d{6}"),
    ("SI", r"\d{4}"),
    ("SK", r"\d{3} ?\d{2}"),
    ("US", r"\d{5}(?:-\d{4})?"),
    ("ZA", r"\d{4}"),
];

/// Countries whose addresses need a region, with every region (code, English name).
const REGIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "US",
        &[
            ("AL", "Alabama"),
            ("AK", "Alaska"),
            ("AZ", "Arizona"),
            ("AR", "Arkansas"),
            ("CA", "California"),
            ("CO", "Colorado"),
            ("CT", "Connecticut"),
            ("DE", "Delaware"),
            ("DC", "District of Columbia"),
            ("FL", "Florida"),
            ("GA", "Georgia"),
            ("HI", "Hawaii"),
            ("ID", "Idaho"),
            ("IL", "Illinois"),
            ("IN", "Indiana"),
            ("IA", "Iowa"),
            ("KS", "Kansas"),
            ("KY", "Kentucky"),
            ("LA", "Louisiana"),
            ("ME", "Maine"),
            ("MD", "Maryland"),
            ("MA", "Massachusetts"),
            ("MI", "Michigan"),
            ("MN", "Minnesota"),
            ("MS", "Mississippi"),
            ("MO", "Missouri"),
            ("MT", "Montana"),
            ("NE", "Nebraska"),
            ("NV", "Nevada"),
            ("NH", "New Hampshire"),
            ("NJ", "New Jersey"),
            ("NM", "New Mexico"),
            ("NY", "New York"),
            ("NC", "North Carolina"),
            ("ND", "North Dakota"),
            ("OH", "Ohio"),
            ("OK", "Oklahoma"),
            ("OR", "Oregon"),
            ("PA", "Pennsylvania"),
            ("RI", "Rhode Island"),
            ("SC", "South Carolina"),
            ("SD", "South Dakota"),
            ("TN", "Tennessee"),
            ("TX", "Texas"),
            ("UT", "Utah"),
            ("VT", "Vermont"),
            ("VA", "Virginia"),
            ("WA", "Washington"),
            ("WV", "West Virginia"),
            ("WI", "Wisconsin"),
            ("WY", "Wyoming"),
            ("AS", "American Samoa"),
            ("GU", "Guam"),
            ("MP", "Northern Mariana Islands"),
            ("PR", "Puerto Rico"),
            ("VI", "Virgin Islands"),
            ("UM", "United States Minor Outlying Islands"),
            ("AA", "Armed Forces Americas"),
            ("AE", "Armed Forces Europe"),
            ("AP", "Armed Forces Pacific"),
        ],
    ),
    (
        "CA",
        &[
            ("AB", "Alberta"),
            ("BC", "British Columbia"),
            ("MB", "Manitoba"),
            ("NB", "New Brunswick"),
            ("NL", "Newfoundland and Labrador"),
            ("NS", "Nova Scotia"),
            ("NT", "Northwest Territories"),
            ("NU", "Nunavut"),
            ("ON", "Ontario"),
            ("PE", "Prince Edward Island"),
            ("QC", "Quebec"),
            ("SK", "Saskatchewan"),
            ("YT", "Yukon"),
        ],
    ),
    (
        "AU",
        &[
            ("ACT", "Australian Capital Territory"),
            ("NSW", "New South Wales"),
            ("NT", "Northern Territory"),
            ("QLD", "Queensland"),
            ("SA", "South Australia"),
            ("TAS", "Tasmania"),
            ("VIC", "Victoria"),
            ("WA", "Western Australia"),
        ],
    ),
];

/// Countries whose postal codes are written with a space before their last `n` characters
/// (`1015CJ` is stored `1015 CJ`).
const SPACED: &[(&str, usize)] = &[("CA", 3), ("GB", 3), ("NL", 2)];

static POSTAL_RE: LazyLock<HashMap<&'static str, Regex>> = LazyLock::new(|| {
    POSTAL
        .iter()
        .filter_map(|(c, p)| Regex::new(&format!("^(?:{p})$")).ok().map(|r| (*c, r)))
        .collect()
});

/// An ISO 3166-1 alpha-2 code (any case), upper-cased; `None` if no country has it.
pub fn country(code: &str) -> Option<String> {
    let code = code.trim();
    if code.len() != 2 {
        return None;
    }
    celes::Country::from_alpha2(code)
        .ok()
        .map(|c| c.alpha2.to_ascii_uppercase())
}

/// Why a postal code was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PostalError {
    /// The country has postal codes and none was given.
    Missing,
    /// Not the country's format; an example of one that is.
    Format(&'static str),
}

/// The postal code normalised (upper case, inner runs of spaces made one) when it fits the
/// country's format; any non-empty code (or none) for a country we have no format for.
pub fn postal_code(country: &str, code: Option<&str>) -> Result<Option<String>, PostalError> {
    let normal = code.map(|c| {
        c.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    });
    let normal = normal.filter(|c| !c.is_empty());
    let Some(re) = POSTAL_RE.get(country) else {
        return Ok(normal);
    };
    let Some(code) = normal else {
        return Err(PostalError::Missing);
    };
    if re.is_match(&code) {
        match SPACED.iter().find(|(c, _)| *c == country) {
            Some((_, n)) if !code.contains(' ') && code.len() > *n => {
                let (head, tail) = code.split_at(code.len() - n);
                Ok(Some(format!("{head} {tail}")))
            }
            _ => Ok(Some(code)),
        }
    } else {
        Err(PostalError::Format(example(country)))
    }
}

fn example(country: &str) -> &'static str {
    match country {
        "GB" => "SW1A 1AA",
        "NL" => "1012 LG",
        "CA" => "K1A 0B1",
        "US" => "94103",
        "PT" => "1100-148",
        "PL" => "00-950",
        "IE" => "D02 X285",
        "JP" => "100-0001",
        "BR" => "01310-100",
        "LV" => "LV-1050",
        "MT" => "VLT 1117",
        "IS" => "101",
        "LT" => "LT-01100",
        "LU" => "L-1511",
        _ => match POSTAL.iter().find(|(c, _)| *c == country) {
            Some((_, p)) if p.starts_with(r"\d{4}") => "1234",
            Some((_, p)) if p.starts_with(r"\d{5}") => "12345",
            Some((_, p)) if p.starts_with(r"\d{6}") => "123456",
            Some((_, p)) if p.starts_with(r"\d{3} ?\d{2}") => "123 45",
            Some((_, p)) if p.starts_with(r"\d{2} ?\d{3}") => "75008",
            _ => "",
        },
    }
}

/// Why a region was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum RegionError {
    /// The country needs one.
    Missing,
    /// Not one of the country's regions.
    Unknown,
}

/// Whether addresses in `country` must name a region.
pub fn needs_region(country: &str) -> bool {
    REGIONS.iter().any(|(c, _)| *c == country)
}

/// For a country that needs a region: its code, from a code (any case, `US-` prefix allowed) or
/// an English name. For other countries: the text as given (trimmed), or none.
pub fn region(country: &str, given: Option<&str>) -> Result<Option<String>, RegionError> {
    let given = given.map(str::trim).filter(|r| !r.is_empty());
    let Some((_, regions)) = REGIONS.iter().find(|(c, _)| *c == country) else {
        return Ok(given.map(str::to_string));
    };
    let Some(r) = given else {
        return Err(RegionError::Missing);
    };
    let up = r.to_uppercase();
    let code = up
        .strip_prefix(&format!("{country}-"))
        .unwrap_or(&up)
        .to_string();
    regions
        .iter()
        .find(|(c, name)| *c == code || name.to_uppercase() == up)
        .map(|(c, _)| Some((*c).to_string()))
        .ok_or(RegionError::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(POSTAL_RE.len(), POSTAL.len());
        for (c, _) in POSTAL {
            assert!(country(c).is_some(), "{c} is a country");
            assert!(
                postal_code(c, Some(example(c))).is_ok(),
                "{c}'s example fits"
            );
        }
        for (c, _) in REGIONS {
            assert!(POSTAL_RE.contains_key(c));
        }
    }

    #[test]
    fn countries_are_iso_codes() {
        assert_eq!(country("nl").as_deref(), Some("NL"));
        assert_eq!(country(" gb ").as_deref(), Some("GB"));
        assert_eq!(country("ZZ"), None);
        assert_eq!(country("NLD"), None);
        assert_eq!(country(""), None);
    }

    #[test]
    fn postal_codes_by_country() {
        assert_eq!(
            postal_code("NL", Some(" 1012  lg ")),
            Ok(Some("1012 LG".into()))
        );
        assert_eq!(
            postal_code("NL", Some("1")),
            Err(PostalError::Format("1012 LG"))
        );
        assert_eq!(postal_code("NL", None), Err(PostalError::Missing));
        assert_eq!(postal_code("NL", Some("  ")), Err(PostalError::Missing));
        assert_eq!(
            postal_code("GB", Some("mk3 6eb")),
            Ok(Some("MK3 6EB".into()))
        );
        assert!(postal_code("GB", Some("SW1A 1AA")).is_ok());
        assert!(postal_code("GB", Some("12345")).is_err());
        assert!(postal_code("US", Some("94103-1234")).is_ok());
        assert!(postal_code("US", Some("9410")).is_err());
        assert_eq!(
            postal_code("CA", Some("k1a0b1")),
            Ok(Some("K1A 0B1".into()))
        );
        assert_eq!(
            postal_code("GB", Some("sw1a1aa")),
            Ok(Some("SW1A 1AA".into()))
        );
        assert_eq!(
            postal_code("NL", Some("1015cj")),
            Ok(Some("1015 CJ".into()))
        );
        assert!(postal_code("CA", Some("D1A 0B1")).is_err());
        assert!(postal_code("DE", Some("10115")).is_ok());
        assert!(postal_code("DE", Some("1011")).is_err());
        // A country without a known format: anything, or nothing.
        assert_eq!(postal_code("HK", None), Ok(None));
        assert_eq!(postal_code("AE", Some("x 1")), Ok(Some("X 1".into())));
    }

    #[test]
    fn regions_where_needed() {
        assert_eq!(region("US", Some("ca")), Ok(Some("CA".into())));
        assert_eq!(region("US", Some("US-NY")), Ok(Some("NY".into())));
        assert_eq!(region("US", Some("new york")), Ok(Some("NY".into())));
        assert_eq!(region("US", None), Err(RegionError::Missing));
        assert_eq!(region("US", Some("Bavaria")), Err(RegionError::Unknown));
        assert_eq!(region("AU", Some("Victoria")), Ok(Some("VIC".into())));
        assert_eq!(region("CA", Some("QC")), Ok(Some("QC".into())));
        assert_eq!(region("DE", None), Ok(None));
        assert_eq!(region("DE", Some(" Bayern ")), Ok(Some("Bayern".into())));
        assert!(needs_region("US") && !needs_region("NL"));
    }
}
