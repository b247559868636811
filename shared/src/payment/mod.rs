//! Paying an invoice: PayFiP's messages ([`payfip`]) and the rules that
//! decide what an answer means ([`rules`]).

pub mod attempts;
pub mod gateway;
pub mod payfip;
pub mod rules;
pub mod sepa;
