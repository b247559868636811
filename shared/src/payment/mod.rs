//! Paying an invoice: PayFiP's messages ([`payfip`]) and the rules that
//! decide what an answer means ([`rules`]), attempts and the gateways;
//! direct debit: the mandates and the SEPA file ([`sepa`], [`mandates`],
//! [`debits`]).

pub mod attempts;
pub mod debits;
pub mod gateway;
pub mod mandates;
pub mod payfip;
pub mod rules;
pub mod sepa;
