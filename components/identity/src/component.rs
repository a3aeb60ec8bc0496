//! The Spin adapter: exports the WIT interface over the host-free logic.

wit_bindgen::generate!({ world: "identity-service", path: "../../wit" });

use exports::kaltura_discord::services::identity::Guest;
use kaltura_discord::services::types::ServiceStatus;
use spin_adapter::SpinVariables;

struct Component;

impl Guest for Component {
    fn status() -> ServiceStatus {
        let status = crate::status(&SpinVariables, spin_adapter::key_value().as_ref());
        ServiceStatus {
            name: status.name,
            version: status.version,
            missing_settings: status.missing_settings,
            key_value_ok: status.key_value_ok,
        }
    }
}

export!(Component);
