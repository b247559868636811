//! End-to-end tests live in tests/; see tests/suite.rs. The library holds
//! what a benchmark shares with them: the local Lambda Runtime API, and a
//! bucket on moto's S3.

pub mod runtime_api;

/// A new private bucket named `{prefix}-{ulid}` on moto's S3 at `moto`,
/// and a client for it.
pub async fn moto_bucket(
    sdk: &aws_config::SdkConfig,
    moto: &str,
    prefix: &str,
) -> (aws_sdk_s3::Client, String) {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .endpoint_url(moto)
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(conf);
    let bucket = format!("{prefix}-{}", ulid::Ulid::new()).to_lowercase();
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest3)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("création du bucket sur moto ({moto}) : {e:?}"));
    (client, bucket)
}
