//! The Spin adapter: exports the WIT interface over the host-free logic.

wit_bindgen::generate!({ world: "kaltura-service", path: "../../wit" });

use common::Variables;
use exports::kaltura_discord::services::kaltura::Guest;
use kaltura_discord::services::types::{Error, ServiceStatus};
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

    fn ping() -> Result<(), Error> {
        let url = SpinVariables
            .get("kaltura_service_url")
            .ok_or_else(|| Error::NotConfigured("kaltura_service_url".into()))?;
        let request = crate::ping::request(&url).map_err(|e| Error::Invalid(e.to_string()))?;
        let response =
            spin_adapter::send_blocking(request).map_err(|e| Error::Unavailable(e.to_string()))?;
        crate::ping::parse(&response).map_err(|e| Error::Unavailable(e.to_string()))
    }
}

export!(Component);
