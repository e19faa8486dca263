//! The cities the chain ships to, with their state, a postal code and the
//! sales region the state belongs to.

use crate::enums::Region;
use crate::sale::Location;

const CITIES: &[(&str, &str, &str, Region)] = &[
    ("New York City", "New York", "10024", Region::East),
    ("Buffalo", "New York", "14215", Region::East),
    ("Philadelphia", "Pennsylvania", "19143", Region::East),
    ("Pittsburgh", "Pennsylvania", "15237", Region::East),
    ("Boston", "Massachusetts", "02108", Region::East),
    ("Newark", "New Jersey", "07102", Region::East),
    ("Columbus", "Ohio", "43229", Region::East),
    ("Cleveland", "Ohio", "44105", Region::East),
    ("Providence", "Rhode Island", "02908", Region::East),
    ("Wilmington", "Delaware", "19805", Region::East),
    ("Los Angeles", "California", "90036", Region::West),
    ("San Francisco", "California", "94122", Region::West),
    ("San Diego", "California", "92024", Region::West),
    ("Seattle", "Washington", "98103", Region::West),
    ("Portland", "Oregon", "97206", Region::West),
    ("Phoenix", "Arizona", "85023", Region::West),
    ("Denver", "Colorado", "80219", Region::West),
    ("Las Vegas", "Nevada", "89115", Region::West),
    ("Salt Lake City", "Utah", "84106", Region::West),
    ("Albuquerque", "New Mexico", "87105", Region::West),
    ("Houston", "Texas", "77095", Region::Central),
    ("Dallas", "Texas", "75220", Region::Central),
    ("San Antonio", "Texas", "78207", Region::Central),
    ("Chicago", "Illinois", "60610", Region::Central),
    ("Detroit", "Michigan", "48227", Region::Central),
    ("Minneapolis", "Minnesota", "55407", Region::Central),
    ("Milwaukee", "Wisconsin", "53209", Region::Central),
    ("Indianapolis", "Indiana", "46203", Region::Central),
    ("Kansas City", "Missouri", "64118", Region::Central),
    ("Omaha", "Nebraska", "68104", Region::Central),
    ("Jacksonville", "Florida", "32216", Region::South),
    ("Miami", "Florida", "33142", Region::South),
    ("Atlanta", "Georgia", "30318", Region::South),
    ("Charlotte", "North Carolina", "28205", Region::South),
    ("Nashville", "Tennessee", "37211", Region::South),
    ("Memphis", "Tennessee", "38109", Region::South),
    ("Louisville", "Kentucky", "40214", Region::South),
    ("Richmond", "Virginia", "23223", Region::South),
    ("New Orleans", "Louisiana", "70119", Region::South),
    ("Birmingham", "Alabama", "35208", Region::South),
];

pub(crate) fn cities() -> Vec<Location> {
    CITIES
        .iter()
        .map(|(city, state, postal_code, region)| Location {
            country: "United States".to_owned(),
            state: (*state).to_owned(),
            city: (*city).to_owned(),
            postal_code: (*postal_code).to_owned(),
            region: *region,
        })
        .collect()
}
