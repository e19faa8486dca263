//! The fixed product catalogue of the generator: every category, its
//! sub-categories, and a handful of products in each, with a list price and
//! a gross margin. Fixed on purpose: the same seed must sell the same things.

use crate::enums::Category;
use crate::sale::Product;
use rust_decimal::Decimal;

/// A product with what the generator needs to price a sale of it.
#[derive(Debug, Clone)]
pub(crate) struct CatalogueItem {
    pub product: Product,
    /// Price of one unit before discount, USD.
    pub list_price: Decimal,
    /// Share of the list price that is profit at no discount.
    pub margin: Decimal,
}

/// (category, sub-category, two-letter code,
///  [(product name, list price in cents, margin in percent)])
type SubCategoryRow = (Category, &'static str, &'static str, &'static [(&'static str, i64, i64)]);

const CATALOGUE: &[SubCategoryRow] = &[
    (
        Category::Furniture,
        "Bookcases",
        "BO",
        &[
            ("Oakridge 5-Shelf Bookcase", 26_198, 12),
            ("Harbor Line Open Bookcase, Walnut", 17_496, 8),
            ("Metro Ladder Shelf", 9_990, 15),
        ],
    ),
    (
        Category::Furniture,
        "Chairs",
        "CH",
        &[
            ("ErgoMesh Task Chair", 23_198, 18),
            ("Stackable Guest Chair, Black", 7_190, 22),
            ("Executive Leather Swivel Chair", 42_999, 14),
            ("Drafting Stool with Footring", 13_450, 16),
        ],
    ),
    (
        Category::Furniture,
        "Furnishings",
        "FU",
        &[
            ("Brass Desk Lamp", 4_860, 30),
            ("Wall Clock, 12 inch", 2_195, 35),
            ("Anti-Fatigue Floor Mat", 5_994, 28),
        ],
    ),
    (
        Category::Furniture,
        "Tables",
        "TA",
        &[
            ("Bevis Round Conference Table", 95_758, 6),
            ("Folding Training Table, 6 ft", 30_450, 9),
            ("Adjustable Standing Desk", 61_990, 11),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Appliances",
        "AP",
        &[
            ("Compact Desk Fan", 3_499, 27),
            ("Surge Protector, 8 Outlets", 4_250, 32),
            ("Office Microwave, 0.9 cu ft", 11_980, 20),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Art",
        "AR",
        &[
            ("Colored Pencils, 24 Pack", 750, 40),
            ("Dry-Erase Markers, Assorted", 1_296, 38),
            ("Sketch Pad, 9 x 12", 895, 42),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Binders",
        "BI",
        &[
            ("Heavy-Duty D-Ring Binder, 3 inch", 1_690, 45),
            ("Poly Binder Pockets, 10 Pack", 1_174, 48),
            ("Comb Binding Machine", 38_520, 30),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Envelopes",
        "EN",
        &[
            ("Security Tint Envelopes, 500 Box", 3_120, 44),
            ("Kraft Clasp Envelopes, 100 Box", 1_840, 46),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Fasteners",
        "FA",
        &[("Jumbo Paper Clips, 1000 Pack", 540, 45), ("Binder Clips, Assorted 60", 710, 47)],
    ),
    (
        Category::OfficeSupplies,
        "Labels",
        "LA",
        &[("Address Labels, 3000 Count", 1_462, 48), ("Removable Color Coding Labels", 630, 46)],
    ),
    (
        Category::OfficeSupplies,
        "Paper",
        "PA",
        &[
            ("Multipurpose Copy Paper, 10 Reams", 4_990, 42),
            ("Recycled Ruled Notepads, 12 Pack", 1_552, 46),
            ("Cardstock, White, 250 Sheets", 1_980, 44),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Storage",
        "ST",
        &[
            ("Rolling File Cart", 11_480, 15),
            ("Stackable Storage Bins, 6 Pack", 4_796, 22),
            ("Fireproof Document Box", 8_990, 18),
        ],
    ),
    (
        Category::OfficeSupplies,
        "Supplies",
        "SU",
        &[
            ("Stainless Steel Scissors", 1_140, 30),
            ("Heavy-Duty Stapler", 2_695, 26),
            ("Letter Opener", 412, 33),
        ],
    ),
    (
        Category::Technology,
        "Accessories",
        "AC",
        &[
            ("Wireless Mouse", 2_999, 32),
            ("Mechanical Keyboard", 8_999, 28),
            ("USB-C Flash Drive, 128 GB", 2_149, 34),
            ("Noise-Cancelling Headset", 14_999, 25),
        ],
    ),
    (
        Category::Technology,
        "Copiers",
        "CO",
        &[("Desktop Laser Copier", 59_998, 30), ("Color Multifunction Copier", 139_998, 26)],
    ),
    (
        Category::Technology,
        "Machines",
        "MA",
        &[
            ("Thermal Label Printer", 21_990, 12),
            ("Cross-Cut Paper Shredder", 32_490, 9),
            ("Desktop 3D Printer", 89_999, 7),
        ],
    ),
    (
        Category::Technology,
        "Phones",
        "PH",
        &[
            ("Conference Speakerphone", 27_999, 22),
            ("Smartphone, 128 GB, Unlocked", 69_999, 18),
            ("Cordless Office Phone", 9_299, 24),
        ],
    ),
];

fn category_code(category: Category) -> &'static str {
    match category {
        Category::Furniture => "FUR",
        Category::OfficeSupplies => "OFF",
        Category::Technology => "TEC",
    }
}

/// Every product of the catalogue, with stable ids such as `FUR-BO-10000100`.
pub(crate) fn catalogue() -> Vec<CatalogueItem> {
    let mut items = Vec::new();
    for (row_index, (category, sub_category, code, products)) in CATALOGUE.iter().enumerate() {
        for (product_index, (name, price_cents, margin_percent)) in products.iter().enumerate() {
            let number = 10_000_000 + row_index * 100 + product_index;
            items.push(CatalogueItem {
                product: Product {
                    product_id: format!("{}-{code}-{number}", category_code(*category)),
                    product_name: (*name).to_owned(),
                    category: *category,
                    sub_category: (*sub_category).to_owned(),
                },
                list_price: Decimal::new(*price_cents, 2),
                margin: Decimal::new(*margin_percent, 2),
            });
        }
    }
    items
}
