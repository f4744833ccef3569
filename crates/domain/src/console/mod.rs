//! The web console's rules (issue 21), apart from any HTTP: how long a signed-in
//! session lives and when it ends ([`session`]), the form tokens that guard it against
//! cross-site requests ([`csrf`]), when the credits banner warns ([`alert`]), the
//! overview's totals ([`figures`]) and how a number is masked ([`mask`]), and the
//! session use cases over their store ([`sessions`]). The console's pages and cookies
//! are the adapters'; everything here but [`sessions`] is pure functions.

pub mod alert;
pub mod csrf;
pub mod figures;
pub mod mask;
pub mod session;
pub mod sessions;

pub use alert::CreditAlert;
pub use figures::{UsageTotals, every_day};
pub use mask::masked_number;
pub use session::{
    NewSession, SessionCheck, SessionEnd, SessionPolicy, SessionTimes, StoredSession,
};
pub use sessions::{Resumed, SessionService};
