//! The meaning of `school.json`, beyond its schema: unique ids, references between its parts,
//! a scale that rises and can be computed on, requirements the framework can satisfy, and a
//! signing set-up that verifiers accept.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Findings, MAX_SCALE_STEPS, escape, unknown_hint};
use crate::model::{CreditLevel, School};

/// Checks what the schema cannot say about `school.json`.
pub(super) fn check_school(school: &School, found: &mut Findings) {
    let framework = &school.framework;

    // Ids are unique.
    let mut area_ids = BTreeSet::new();
    for (i, area) in framework.areas.iter().enumerate() {
        if !area_ids.insert(area.id.as_str()) {
            found
                .error(format!("/framework/areas/{i}/id"), format!("area id \"{}\" is used twice", area.id))
                .set_hint("give every credit area a different id");
        }
    }
    let mut credit_ids = BTreeSet::new();
    for (i, credit) in framework.credits.iter().enumerate() {
        if !credit_ids.insert(credit.id.as_str()) {
            found
                .error(format!("/framework/credits/{i}/id"), format!("credit id \"{}\" is used twice", credit.id))
                .set_hint("give every credit a different id");
        }
        if !area_ids.contains(credit.area.as_str()) {
            found
                .error(
                    format!("/framework/credits/{i}/area"),
                    format!("credit \"{}\" names unknown area \"{}\"", credit.id, credit.area),
                )
                .set_hint(unknown_hint("area", &credit.area, area_ids.iter().copied()));
        }
        if credit.value.is_zero() {
            found
                .warning(format!("/framework/credits/{i}/value"), format!("credit \"{}\" is worth nothing", credit.id));
        }
    }
    for (i, area) in framework.areas.iter().enumerate() {
        if !framework.credits.iter().any(|c| c.area == area.id) {
            found.warning(format!("/framework/areas/{i}"), format!("area \"{}\" has no credits", area.id));
        }
    }

    // The scale is ordered, has a countable number of steps, and the threshold lies on it.
    let scale = &school.scale;
    if scale.max() > scale.min() {
        let steps = (scale.max() - scale.min()) / scale.step;
        if steps > Decimal::from(MAX_SCALE_STEPS) {
            found
                .error(
                    "/scale/step",
                    format!(
                        "a step of {} makes {} steps from {} to {}; a scale may have at most 100,000",
                        scale.step,
                        steps.round(),
                        scale.min(),
                        scale.max()
                    ),
                )
                .set_hint(
                    "use a coarser step: scales of a few levels, scored in whole or half steps, are the usual kind",
                );
        }
    }
    for (i, pair) in scale.levels.windows(2).enumerate() {
        if pair[1].value <= pair[0].value {
            found
                .error(
                    format!("/scale/levels/{}/value", i + 1),
                    format!(
                        "level \"{}\" ({}) does not stand above level \"{}\" ({})",
                        pair[1].label, pair[1].value, pair[0].label, pair[0].value
                    ),
                )
                .set_hint("list the levels from lowest to highest, each with a larger value");
        }
    }
    let mut labels = BTreeSet::new();
    for (i, level) in scale.levels.iter().enumerate() {
        if !labels.insert(level.label.as_str()) {
            found.error(format!("/scale/levels/{i}/label"), format!("level label \"{}\" is used twice", level.label));
        }
        if !scale.contains(level.value) {
            found
                .error(
                    format!("/scale/levels/{i}/value"),
                    format!(
                        "level value {} is not a whole number of steps ({}) above the lowest level",
                        level.value, scale.step
                    ),
                )
                .set_hint("change the level's value or the scale's step");
        }
    }
    if !scale.contains(scale.mastery_threshold) {
        found
            .error(
                "/scale/mastery_threshold",
                format!("mastery threshold {} is not on the scale", scale.mastery_threshold),
            )
            .set_hint(format!("use a value from {} to {} in steps of {}", scale.min(), scale.max(), scale.step));
    }

    // Overrides name real areas and credits.
    let overrides = &school.aggregation.overrides;
    for (what, overridden, known) in
        [("area", &overrides.areas, &area_ids), ("credit", &overrides.credits, &credit_ids)]
    {
        for id in overridden.keys().filter(|id| !known.contains(id.as_str())) {
            found
                .key_error(
                    format!("/aggregation/overrides/{what}s/{}", escape(id)),
                    format!("override for unknown {what} \"{id}\""),
                )
                .set_hint(unknown_hint(what, id, known.iter().copied()));
        }
    }

    check_graduation(school, found, &area_ids, &credit_ids);

    check_sources(school, found, &credit_ids);

    // The signing key must be one the issuer controls, or no verifier accepts the credentials.
    if let Some(settings) = &school.credentials
        && let Err(problem) = crate::credential::issuer::check(settings)
    {
        found.error(format!("/credentials/{}", problem.field), problem.message).set_hint(problem.hint);
    }

    if let Some(equivalency) = &school.equivalency {
        for (i, row) in equivalency.table.iter().enumerate() {
            if row.from > row.to {
                found
                    .error(format!("/equivalency/table/{i}"), format!("row runs from {} down to {}", row.from, row.to))
                    .set_hint("put the lower level in \"from\"");
            }
            if row.from < scale.min() || row.to > scale.max() {
                found.error(
                    format!("/equivalency/table/{i}"),
                    format!("row {}..{} leaves the scale ({}..{})", row.from, row.to, scale.min(), scale.max()),
                );
            }
        }
    }
}

/// The OneRoster mapping names credits that exist, and levels that are on the scale.
fn check_sources(school: &School, found: &mut Findings, credit_ids: &BTreeSet<&str>) {
    let (oneroster, edfi, csv) = (&school.sources.oneroster, &school.sources.edfi, &school.sources.csv);
    let credit_maps = [
        ("csv/credits", &csv.credits),
        ("oneroster/objectives", &oneroster.objectives),
        ("oneroster/line_items", &oneroster.line_items),
        ("edfi/learning_standards", &edfi.learning_standards),
        ("edfi/objectives", &edfi.objectives),
    ];
    for (setting, map) in credit_maps {
        for (key, credit) in map {
            let Some(credit) = credit else { continue };
            if !credit_ids.contains(credit.as_str()) {
                let pointer = format!("/sources/{setting}/{}", escape(key));
                found.error(pointer, format!("\"{key}\" maps to unknown credit \"{credit}\"")).set_hint(unknown_hint(
                    "credit",
                    credit,
                    credit_ids.iter().copied(),
                ));
            }
        }
    }
    for (setting, map) in
        [("csv/scores", &csv.scores), ("oneroster/scores", &oneroster.scores), ("edfi/levels", &edfi.levels)]
    {
        for (score, level) in map {
            if !school.scale.contains(*level) {
                let pointer = format!("/sources/{setting}/{}", escape(score));
                found
                    .error(pointer, format!("the score \"{score}\" maps to {level}, which is not on the scale"))
                    .set_hint(format!(
                        "use a level of the scale, from {} to {}",
                        school.scale.min(),
                        school.scale.max()
                    ));
            }
        }
    }
    if let Some(roster) = &csv.roster
        && std::path::Path::new(roster).components().next().is_some_and(|c| c.as_os_str() == "students")
    {
        found
            .error(
                "/sources/csv/roster",
                format!("the roster \"{roster}\" is in students/, where it would be read as scores"),
            )
            .set_hint("keep the roster beside school.json, such as \"roster.csv\"");
    }
    if let Some(day) = &edfi.graduation_day
        && NaiveDate::parse_from_str(&format!("2024-{day}"), "%Y-%m-%d").is_err()
    {
        found
            .error("/sources/edfi/graduation_day", format!("\"{day}\" is not a day of the year"))
            .set_hint("write the month and day as MM-DD, such as \"06-11\" for 11 June");
    }
}

fn check_graduation(school: &School, found: &mut Findings, area_ids: &BTreeSet<&str>, credit_ids: &BTreeSet<&str>) {
    let framework = &school.framework;
    let graduation = &school.graduation;
    let sum = |filter: &dyn Fn(&crate::model::Credit) -> bool| -> Decimal {
        framework.credits.iter().filter(|c| filter(c)).map(|c| c.value).sum()
    };
    for (id, requirement) in &graduation.areas {
        let pointer = format!("/graduation/areas/{}", escape(id));
        if !area_ids.contains(id.as_str()) {
            found.key_error(&pointer, format!("requirement for unknown area \"{id}\"")).set_hint(unknown_hint(
                "area",
                id,
                area_ids.iter().copied(),
            ));
            continue;
        }
        let available = sum(&|c| c.area == *id);
        if available < requirement.credits {
            found
                .error(
                    format!("{pointer}/credits"),
                    format!(
                        "area \"{id}\" requires {} credits, but its credits are worth only {available} in all",
                        requirement.credits.normalize()
                    ),
                )
                .set_hint("lower the requirement or add credits to the area");
        }
        if let Some(level) = requirement.min_level
            && !school.scale.contains(level)
        {
            found.error(format!("{pointer}/min_level"), format!("minimum level {level} is not on the scale"));
        }
    }
    let total = sum(&|_| true);
    if total < graduation.total_credits {
        found
            .error(
                "/graduation/total_credits",
                format!(
                    "graduation requires {} credits, but the framework's credits are worth only {total} in all",
                    graduation.total_credits.normalize()
                ),
            )
            .set_hint("lower the requirement or add credits to the framework");
    }
    let advanced = sum(&|c| c.level == CreditLevel::Advanced);
    if advanced < graduation.advanced_credits {
        found.error("/graduation/advanced_credits", format!(
            "graduation requires {} advanced credits, but the framework's advanced credits are worth only {advanced}",
            graduation.advanced_credits.normalize()
        ));
    }
    let per_area: Decimal = graduation.areas.values().map(|r| r.credits).sum();
    if per_area > graduation.total_credits {
        found.warning(
            "/graduation/total_credits",
            format!(
                "the area requirements add up to {}, more than the total of {}",
                per_area.normalize(),
                graduation.total_credits.normalize()
            ),
        );
    }
    for (i, id) in graduation.required_credits.iter().enumerate() {
        if !credit_ids.contains(id.as_str()) {
            found
                .error(
                    format!("/graduation/required_credits/{i}"),
                    format!("required credit \"{id}\" is not in the framework"),
                )
                .set_hint(unknown_hint("credit", id, credit_ids.iter().copied()));
        }
    }
}
