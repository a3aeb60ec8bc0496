//! Which deployment settings are missing. A setting is a Spin variable; an empty value
//! (the default in spin.toml) means "not configured", so the app still starts and each
//! endpoint that needs it says which one is missing.

use crate::ports::Variables;

/// Returns the names in `required` whose variable is unset or empty, in order.
pub fn missing(vars: &dyn Variables, required: &[&str]) -> Vec<String> {
    required
        .iter()
        .filter(|name| vars.get(name).is_none())
        .map(|name| (*name).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MemoryVariables;

    #[test]
    fn only_unset_or_empty_settings_are_reported() {
        let vars = MemoryVariables::from_pairs(&[("a", "1"), ("b", "")]);
        assert_eq!(missing(&vars, &["a", "b", "c"]), vec!["b", "c"]);
    }
}
