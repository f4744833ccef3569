//! Service tests: each use-case path driven through mockall mocks of the ports.

mod end;
mod properties;
mod start;
mod support;
mod text;
