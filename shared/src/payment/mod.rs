//! Paying an invoice: PayFiP's messages ([`payfip`]) and the rules that
//! decide what an answer means ([`rules`]).

pub mod payfip;
pub mod rules;
