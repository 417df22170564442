//! The catalogue of every error the simulated services return, as data.
//!
//! Each entry carries the HTTP status, the service's error `code`, the message template and the
//! document it comes from, so that the page can show where a message is quoted from and tests can
//! check that every entry is reachable. Messages use `{placeholder}` holes filled by [`ApiError`].
//!
//! Wording rule: the Azure Monitor CMK seed document (`../shared/seeds/`) is the specification;
//! where it quotes a message, that exact text (curly apostrophes included) is used. Where the
//! documentation states a rule but gives no message, the entry is marked [`Source::Playground`]
//! and its wording is built from the documented rule.

use crate::prose;
use crate::texts::Prose;
use serde_json::{Value, json};

/// Which request surface an error belongs to; it decides the JSON envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Surface {
    /// ARM: `{"error":{"code","message"}}`.
    Arm,
    /// Key Vault data plane: `{"error":{"code","message","innererror":{"code"}}}`.
    KeyVault,
    /// HTTP Data Collector API: `{"Error": code, "Message": text}`.
    Ingestion,
    /// Log Analytics query API: `{"error":{"message","code","correlationId","innererror"}}`.
    Query,
    /// Microsoft Graph: `{"error":{"code","message","innerError":{"date","request-id",...}}}`.
    Graph,
    /// Microsoft Entra ID's token endpoint: `{"error","error_description","error_codes",...}`.
    Entra,
    /// Requests the playground cannot route at all.
    Playground,
}

/// Where the wording of an entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "detail")]
pub enum Source {
    /// Quoted in the Azure Monitor customer-managed key document (the specification).
    AzureMonitorSeed,
    /// Quoted in the Microsoft Sentinel customer-managed key document.
    SentinelSeed,
    /// Microsoft documentation other than the seeds.
    Docs(Prose),
    /// Verbatim service output seen in SDK recordings, CLI output or issue reports.
    Service(Prose),
    /// The rule is documented but no message is; this wording is the playground's own.
    Playground(Prose),
}

/// One catalogue entry.
#[derive(Debug, serde::Serialize)]
pub struct ErrorSpec {
    /// Stable identifier, the same as the Rust constant's name.
    pub name: &'static str,
    pub status: u16,
    pub code: &'static str,
    /// Key Vault `innererror.code`, or the ARM `target`, when the service sends one.
    pub inner: Option<&'static str>,
    pub surface: Surface,
    pub message: Prose,
    pub source: Source,
}

macro_rules! catalogue {
    ($(
        $(#[$meta:meta])*
        $name:ident: $status:literal $surface:ident $code:literal $(/ $inner:literal)?,
            $message:expr, $source:expr;
    )*) => {
        $(
            $(#[$meta])*
            pub static $name: ErrorSpec = ErrorSpec {
                name: stringify!($name),
                status: $status,
                code: $code,
                inner: catalogue!(@inner $($inner)?),
                surface: Surface::$surface,
                message: prose!($message),
                source: $source,
            };
        )*
        /// Every entry, in declaration order.
        pub static CATALOGUE: &[&ErrorSpec] = &[$(&$name),*];
    };
    (@inner) => { None };
    (@inner $inner:literal) => { Some($inner) };
}

const SEED: Source = Source::AzureMonitorSeed;
const DC_2026: Source = Source::Docs(prose!("logs-dedicated-clusters.md (2026)"));

catalogue! {
    // ---- Requests the playground cannot route -------------------------------------------
    UNKNOWN_HOST: 400 Playground "HostNotFound",
        "No such host is known ({host}). The playground answers login.microsoftonline.com, management.azure.com, {vault}.vault.azure.net, graph.microsoft.com, {customerId}.ods.opinsights.azure.com and api.loganalytics.io.",
        Source::Playground(prose!("a real client gets a DNS failure"));
    INVALID_URL: 400 Playground "InvalidUrl",
        "The URL '{url}' is not an absolute https URL.",
        Source::Playground(prose!("malformed request line"));

    // ---- ARM (management.azure.com) -------------------------------------------------------
    MISSING_API_VERSION: 400 Arm "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
        Source::Service(prose!("azure-cli issue 26405"));
    INVALID_API_VERSION: 400 Arm "InvalidApiVersionParameter",
        "The api-version '{version}' is invalid. The supported versions are '{supported}'.",
        Source::Service(prose!("terraform-provider-azurerm and az CLI output"));
    INVALID_RESOURCE_NAMESPACE: 404 Arm "InvalidResourceNamespace",
        "The resource namespace '{namespace}' is invalid.",
        Source::Playground(prose!("ARM answer for a namespace the playground does not simulate"));
    INVALID_RESOURCE_TYPE: 404 Arm "InvalidResourceType",
        "The resource type '{type}' could not be found in the namespace '{namespace}' for api version '{version}'.",
        Source::Service(prose!("ARM response for an unknown resource type"));
    METHOD_NOT_ALLOWED: 405 Arm "MethodNotAllowed",
        "The HTTP method '{method}' is not supported on the resource '{path}'.",
        Source::Service(prose!("Microsoft.Sql via ARM, azure-powershell issue 9709"));
    ARM_TOO_MANY_TAGS: 400 Arm "InvalidTagsCount",
        "The request has {count} tags; a resource or resource group can have at most 50 tag name/value pairs.",
        Source::Playground(prose!("documented tag limits (tag-resources.md): 50 pairs, names 512 and values 256 characters"));
    ARM_TAG_NAME_TOO_LONG: 400 Arm "InvalidTagNameLength",
        "The tag name '{head}…' has {length} characters; a tag name can have at most 512.",
        Source::Playground(prose!("documented tag limits (tag-resources.md): 50 pairs, names 512 and values 256 characters"));
    ARM_TAG_VALUE_TOO_LONG: 400 Arm "InvalidTagValueLength",
        "The value of tag '{name}' has {length} characters; a tag value can have at most 256.",
        Source::Playground(prose!("documented tag limits (tag-resources.md): 50 pairs, names 512 and values 256 characters"));
    INVALID_REQUEST_CONTENT: 400 Arm "InvalidRequestContent",
        "The request content was invalid and could not be deserialized: '{detail}'.",
        Source::Service(prose!("az rest output"));
    SUBSCRIPTION_NOT_FOUND: 404 Arm "SubscriptionNotFound",
        "The subscription '{subscription}' could not be found.",
        Source::Service(prose!("ARM response for an unknown subscription"));
    INVALID_SUBSCRIPTION_ID: 400 Arm "InvalidSubscriptionId",
        "The provided subscription identifier '{subscription}' is malformed or invalid.",
        Source::Service(prose!("AKS documentation output"));
    RESOURCE_GROUP_NOT_FOUND: 404 Arm "ResourceGroupNotFound",
        "Resource group '{group}' could not be found.",
        Source::Service(prose!("pulumi issue 3891, azure-cli issue 20316"));
    RESOURCE_GROUP_NAME_INVALID: 400 Arm "InvalidResourceGroup",
        "The provided resource group name '{group}' has these invalid characters: '{chars}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.",
        Source::Playground(prose!("resource group naming rules (1-90 characters)"));
    RESOURCE_GROUP_BEING_DELETED: 409 Arm "ResourceGroupBeingDeleted",
        "The resource group '{group}' is in deprovisioning state and cannot perform this operation.",
        Source::Service(prose!("az group create output"));
    INVALID_RESOURCE_GROUP_LOCATION: 409 Arm "InvalidResourceGroupLocation",
        "Invalid resource group location '{requested}'. The Resource group already exists in location '{existing}'.",
        Source::Service(prose!("azd documentation output"));
    RESOURCE_NOT_FOUND: 404 Arm "ResourceNotFound",
        "The Resource '{type}/{name}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        Source::Service(prose!("azqr issue 263"));
    LOCATION_REQUIRED: 400 Arm "LocationRequired",
        "The location property is required for this definition.",
        Source::Service(prose!("azure-sdk-for-net test comment"));
    LOCATION_NOT_AVAILABLE: 400 Arm "LocationNotAvailableForResourceType",
        "The provided location '{location}' is not available for resource type '{type}'. List of available regions for the resource type is '{regions}'.",
        Source::Service(prose!("az CLI output"));
    LOCATION_CANNOT_CHANGE: 400 Arm "InvalidParameter",
        "The location of '{name}' is '{location}' and cannot be changed. Moving a resource to another region isn’t supported.",
        Source::Playground(prose!("location is immutable; seed: cluster move isn't supported"));
    OPERATION_NOT_FOUND: 404 Arm "ResourceNotFound",
        "The operation '{id}' was not found.",
        Source::Playground(prose!("unknown asynchronous operation id"));
    SENTINEL_STATE_NAME: 400 Arm "BadRequest",
        "The onboarding state name '{name}' is not supported: Microsoft Sentinel has one onboarding state per workspace, named 'default'.",
        Source::Playground(prose!("onboardingStates: the name supports only 'default'"));
    SENTINEL_NOT_ONBOARDED: 400 Arm "BadRequest",
        "Workspace '{workspace}' is not onboarded to Microsoft Sentinel. Onboard it first: PUT .../providers/Microsoft.SecurityInsights/onboardingStates/default.",
        Source::Playground(prose!("Sentinel resources exist only on an onboarded workspace"));
    SENTINEL_NOT_FOUND: 404 Arm "NotFound",
        "The {kind} '{name}' was not found.",
        Source::Playground(prose!("Microsoft Sentinel resource not found"));
    SENTINEL_CMK_NEEDS_CLUSTER: 400 Arm "BadRequest",
        "Workspace '{workspace}' is not linked to a Log Analytics dedicated cluster, so it can't be onboarded with a customer-managed key: \"Make sure you have a Log Analytics workspace, and that it's linked to a dedicated cluster on which CMK is enabled.\"",
        Source::Playground(prose!("Sentinel seed, Enable CMK step 1, quoted"));
    SENTINEL_CMK_NEEDS_KEY: 400 Arm "BadRequest",
        "Cluster '{cluster}' has no customer-managed key in effect yet (no key identifier, or its key update is still running): \"Configure CMK on the dedicated cluster and link your workspace to that cluster.\"",
        Source::Playground(prose!("Sentinel seed, Prerequisites, quoted"));
    SENTINEL_CMK_SYSTEM_ASSIGNED: 400 Arm "BadRequest",
        "Cluster '{cluster}' has a {identity} identity: \"Microsoft Sentinel supports System Assigned Identities in CMK configuration. Therefore, the dedicated Log Analytics cluster's identity should be of System Assigned type.\"",
        Source::Playground(prose!("Sentinel seed, Considerations, quoted"));
    SENTINEL_CMK_COSMOS_NOT_REGISTERED: 400 Arm "BadRequest",
        "The subscription is not registered to Microsoft.DocumentDB: \"Microsoft Sentinel works with Azure Cosmos DB as an additional storage resource. Make sure to register to the Azure Cosmos DB Resource Provider before onboarding a CMK workspace to Microsoft Sentinel.\"",
        Source::Playground(prose!("Sentinel seed, Enable CMK step 2, quoted"));
    SENTINEL_CMK_COSMOS_NO_ACCESS: 400 Arm "BadRequest",
        "Azure Cosmos DB can't use the cluster's key ({detail}): \"Add an access policy that allows Azure Cosmos DB to access the Azure Key Vault instance that is linked to your dedicated Log Analytics cluster (the same key will be used by Microsoft Sentinel).\" It needs get, wrapKey and unwrapKey, or the Key Vault Crypto Service Encryption User role.",
        Source::Playground(prose!("Sentinel seed, Enable CMK step 3, quoted"));
    SENTINEL_ALREADY_ONBOARDED: 400 Arm "BadRequest",
        "Workspace '{workspace}' is already onboarded to Microsoft Sentinel without a customer-managed key: \"The Microsoft Sentinel CMK capability is provided only to workspaces in Log Analytics dedicated clusters that have not already been onboarded to Microsoft Sentinel.\" Enabling CMK on a workspace that's already onboarded is not supported because it is ineffective.",
        Source::Playground(prose!("Sentinel seed, Considerations, quoted"));
    SENTINEL_CMK_DISABLE: 400 Arm "BadRequest",
        "\"Disabling CMK on a workspace already onboarded to Microsoft Sentinel\" is not supported because it may lead to undefined and problematic behavior.",
        Source::Playground(prose!("Sentinel seed, Considerations, quoted"));
    SENTINEL_UNLINK: 400 Arm "BadRequest",
        "Workspace(s) {workspace} are onboarded to Microsoft Sentinel with a customer-managed key: \"Setting a Sentinel-onboarded, CMK-enabled workspace as a non-CMK workspace by unlinking it from its CMK-enabled dedicated cluster\" is not supported because it may lead to undefined and problematic behavior.",
        Source::Playground(prose!("Sentinel seed, Considerations, quoted"));
    SENTINEL_CLUSTER_KEY_REMOVAL: 400 Arm "BadRequest",
        "The cluster holds Microsoft Sentinel CMK workspace(s) {workspaces}: \"Disabling CMK on a CMK-enabled Log Analytics dedicated cluster\" is not supported because it may lead to undefined and problematic behavior, and \"Revoking access by removing the key from the dedicated Log Analytics cluster, or by removing the identity associated with the dedicated Log Analytics cluster isn't supported.\" Disable the key in the key vault, or delete the access policies, instead.",
        Source::Playground(prose!("Sentinel seed, Considerations and Key Encryption Key revocation, quoted"));
    SENTINEL_KEY_REPLACEMENT: 400 Arm "BadRequest",
        "The cluster holds Microsoft Sentinel CMK workspace(s) {workspaces}: \"Changing the customer-managed key to another key (with another URI) currently isn't supported. You should change the key by rotating it.\"",
        Source::Playground(prose!("Sentinel seed, Considerations, quoted"));
    SENTINEL_DATA_UNAVAILABLE: 403 Arm "CustomerManagedKeyUnavailable",
        "Microsoft Sentinel can't reach its data: its store's key is out of reach ({reason}). \"Any operation that uses persistent storage resources such as data ingestion, persistent configuration changes, and incident creation, is prevented. Previously stored data isn't deleted but remains inaccessible.\" Only offboarding or deleting the workspace is possible until access is restored.",
        Source::Playground(prose!("Sentinel seed, Key Encryption Key revocation or deletion, quoted"));
    SENTINEL_BAD_REQUEST: 400 Arm "BadRequest",
        "{detail}",
        Source::Playground(prose!("Microsoft Sentinel request validation"));
    SENTINEL_RULE_KIND: 400 Arm "BadRequest",
        "The playground runs analytics rules of kind Scheduled only; kind '{kind}' is not simulated.",
        Source::Playground(prose!("only Scheduled analytics rules are simulated"));
    SAVED_SEARCH_PROPERTY_REQUIRED: 400 Arm "BadRequest",
        "The saved search property '{property}' is required.",
        Source::Playground(prose!("SavedSearches.json (2025-02-01) marks category, displayName and query required"));
    SAVED_SEARCH_PROPERTY_INVALID: 400 Arm "BadRequest",
        "The saved search property '{property}' must be {expected}.",
        Source::Playground(prose!("SavedSearches.json (2025-02-01): version is an int64, tags an array of { name, value }"));
    SAVED_SEARCH_ETAG: 409 Arm "Conflict",
        "A saved search with id '{id}' already exists. To override an existing saved search, use * or specify the current Etag ({etag}).",
        Source::Playground(prose!("SavedSearches.json (2025-02-01), etag: \"To override an existing saved search, use `*` or specify the current Etag\""));
    LINKED_STORAGE_INVALID: 400 Arm "BadRequest",
        "{detail}",
        Source::Playground(prose!("LinkedStorageAccounts.json (2025-02-01) request validation"));
    LINKED_STORAGE_CUSTOM_LOGS_RETIRED: 400 Arm "BadRequest",
        "Linked storage accounts of type CustomLogs can no longer be created or updated: creation and updates have been blocked since 30 June 2025 (existing links were removed on 1 November 2025). Collect custom logs with a data collection rule instead.",
        Source::Playground(prose!("azure-monitor-docs private-storage.md: CustomLogs links blocked from 30 Jun 2025, removed 1 Nov 2025"));
    LINKED_STORAGE_ACCOUNT_NOT_FOUND: 400 Arm "BadRequest",
        "The storage account '{id}' was not found. Link an existing StorageV2 account by its resource id.",
        Source::Playground(prose!("LinkedStorageAccounts.json: storageAccountIds name existing storage accounts; the service's wording is not documented"));
    LINKED_STORAGE_REGION: 400 Arm "BadRequest",
        "Storage account '{account}' is in {account_region} and workspace '{workspace}' in {workspace_region}: \"Make sure to create your Storage Account in the same region as your Log Analytics workspace is located\".",
        Source::Playground(prose!("seed, Considerations before setting Customer-managed key for queries, quoted"));
    FORCE_CMK_FOR_QUERY: 400 Arm "BadRequest",
        "Workspace '{workspace}' has forceCmkForQuery set: customer-managed storage is mandatory for query management, so saved searches need a storage account linked for Query (PUT …/linkedStorageAccounts/Query), and that link can't be removed while the setting is on.",
        Source::Playground(prose!("Workspaces.json (2025-02-01): forceCmkForQuery, \"Indicates whether customer managed storage is mandatory for query management\""));
    ALERT_RULE_INVALID: 400 Arm "BadRequest",
        "{detail}",
        Source::Playground(prose!("scheduledQueryRule_API.json (2023-12-01) request validation"));
    ALERTS_STORAGE_NOT_CONFIGURED: 400 Arm "BadRequest",
        "checkWorkspaceAlertsStorageConfigured is true, and workspace '{workspace}' has no linked storage account of type Alerts: creation fails.",
        Source::Playground(prose!("azure-monitor-docs log alert ARM sample: checkWorkspaceAlertsStorageConfigured \"Specifies whether to check linked storage and fail creation if the storage was not found\""));
    FIRED_ALERT_NOT_FOUND: 404 Arm "ResourceNotFound",
        "The alert '{id}' was not found in subscription '{subscription}'. Alerts are listed by GET /subscriptions/{subscription}/providers/Microsoft.AlertsManagement/alerts.",
        Source::Playground(prose!("an alert id that does not exist; the service's wording is not documented"));
    MISSING_SUBSCRIPTION_REGISTRATION: 409 Arm "MissingSubscriptionRegistration",
        "The subscription is not registered to use namespace '{namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.",
        Source::Service(prose!("microsoft/AzureTRE issue 4510 (409 Conflict); Azure/data-management-zone docs/EnterpriseScaleAnalytics-KnownIssues.md (Microsoft.DocumentDB)"));

    // ---- Microsoft.CustomerLockbox --------------------------------------------------------
    AUTHORIZATION_FAILED: 403 Arm "AuthorizationFailed",
        "The client '{client}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
        Source::Service(prose!("ARM's answer to a caller without the permission (az CLI output, azure-cli issues)"));
    LOCKBOX_FILTER_NOT_SUPPORTED: 400 Arm "BadRequest",
        "The filter '{filter}' is not supported: Lockbox requests can only be filtered by status, as $filter=properties/status eq 'Pending' (with a status of the api-version's enum).",
        Source::Playground(prose!("customerlockbox.json: Requests_List supports only the status filter"));
    LOCKBOX_REQUEST_NOT_FOUND: 404 Arm "ResourceNotFound",
        "The Lockbox request '{id}' was not found in subscription '{subscription}'.",
        Source::Playground(prose!("a request id that does not exist; the service's wording is not documented"));
    LOCKBOX_REQUEST_NOT_PENDING: 400 Arm "BadRequest",
        "The Lockbox request '{id}' is {status}: only a Pending request can be approved or denied (a request waits four days for a decision; an approval grants access for eight hours; a denial ends it).",
        Source::Playground(prose!("customer-lockbox-overview.md: the lifecycle of a request"));
    LOCKBOX_WORKSPACE_NOT_FOUND: 404 Playground "WorkspaceNotFound",
        "No workspace '{workspace}' exists: give the workspace's ARM resource id.",
        Source::Playground(prose!("the playground's support-access control names a workspace by its id"));
    LOCKBOX_NOT_ENABLED: 409 Playground "LockboxNotEnabled",
        "Customer Lockbox is not enabled in tenant '{tenant}', so a support engineer's access to workspace '{workspace}' makes no Lockbox request. A Global Administrator enables it: POST https://management.azure.com/providers/Microsoft.CustomerLockbox/enableLockbox?api-version=2018-02-28-preview.",
        Source::Playground(prose!("customer-lockbox-overview.md: Lockbox is a tenant opt-in (tenantOptedIn, enableLockbox)"));
    LOCKBOX_NOT_IN_CHINA: 409 Playground "LockboxNotAvailable",
        "Workspace '{workspace}' is in {region}: \"Lockbox isn't available in China currently.\"",
        Source::Playground(prose!("seed, cluster limits and constraints, quoted"));
    LOCKBOX_NOT_DEDICATED: 409 Playground "LockboxNotApplicable",
        "Workspace '{workspace}' is not linked to a Log Analytics dedicated cluster: \"In Azure Monitor, you have this control on data in workspaces linked to your Log Analytics dedicated cluster.\" Its data is in shared storage, outside Lockbox.",
        Source::Playground(prose!("seed, Customer Lockbox (preview), quoted"));

    // ---- Microsoft.Storage/storageAccounts -------------------------------------------------
    STORAGE_ACCOUNT_NAME_INVALID: 400 Arm "AccountNameInvalid",
        "{name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.",
        Source::Service(prose!("Microsoft.Storage resource provider output (az storage account create)"));
    STORAGE_ACCOUNT_ALREADY_TAKEN: 409 Arm "StorageAccountAlreadyTaken",
        "The storage account named {name} is already taken.",
        Source::Service(prose!("Microsoft.Storage resource provider output (az storage account create)"));
    STORAGE_BAD_REQUEST: 400 Arm "InvalidRequestPropertyValue",
        "{detail}",
        Source::Playground(prose!("storage account request validation (bicep-types-az Microsoft.Storage/storageAccounts shapes); the service's wording is not documented"));
    STORAGE_KEY_TYPE_IMMUTABLE: 400 Arm "InvalidRequestPropertyValue",
        "The encryption key type of the {service} service can't be changed from '{current}' to '{requested}': it is set only when the account is created (\"the scope of the encryption key cannot be changed after the account is created\"). A storage account created without keyType 'Account' for tables can never protect its tables, and so saved queries, with a customer-managed key.",
        Source::Playground(prose!("account-encryption-key-create: the scope of the encryption key cannot be changed after the account is created, quoted"));
    STORAGE_CMK_IDENTITY_REQUIRED: 400 Arm "InvalidRequestPropertyValue",
        "Customer-managed keys need a managed identity that Key Vault can authorize: {detail}",
        Source::Playground(prose!("customer-managed-keys-configure: the storage account authenticates to Key Vault with a managed identity (user-assigned at creation, system- or user-assigned afterwards)"));
    STORAGE_KEY_VALIDATION_FAILED: 400 Arm "KeyVaultAccessFailed",
        "The storage account's identity could not use key '{key}' in Key Vault '{vault}' (it needs get, wrapKey and unwrapKey): {detail}",
        Source::Playground(prose!("customer-managed-keys-configure: the identity needs get, wrapKey and unwrapKey on the key; the service's wording is not documented"));

    STORAGE_KEY_UNAVAILABLE: 403 Arm "KeyVaultEncryptionKeyNotFound",
        "The key vault key is not found to unwrap the encryption key. ({what} kept in storage account '{account}', under its key: {reason})",
        Source::Playground(prose!("Azure Storage's own answer when an account's customer-managed key is out of reach (403 KeyVaultEncryptionKeyNotFound, 'The key vault key is not found to unwrap the encryption key.': storage REST error codes; microsoft/dicom-server tests), passed on by the service reading the linked storage account, with what it was reading"));

    // ---- Microsoft.Authorization ----------------------------------------------------------
    ROLE_ASSIGNMENT_EXISTS: 409 Arm "RoleAssignmentExists",
        "The role assignment already exists.\nThe ID of the existing role assignment is {id}.",
        Source::Service(prose!("az role assignment create output"));
    PRINCIPAL_NOT_FOUND: 400 Arm "PrincipalNotFound",
        "Principal {principal} does not exist in the directory {tenant}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
        Source::Service(prose!("avdaccelerator issue 76"));
    INVALID_ROLE_DEFINITION_ID: 400 Arm "InvalidRoleDefinitionId",
        "The role definition ID '{id}' is not valid.",
        Source::Service(prose!("terraform-provider-azurerm issue 8547"));
    ROLE_DEFINITION_NOT_FOUND: 404 Arm "RoleDefinitionDoesNotExist",
        "The specified role definition with ID '{id}' does not exist.",
        Source::Service(prose!("ARM fixtures"));
    ROLE_ASSIGNMENT_UPDATE_NOT_PERMITTED: 400 Arm "RoleAssignmentUpdateNotPermitted",
        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
        Source::Service(prose!("Azure-Landing-Zones issue 2040"));
    INVALID_ROLE_ASSIGNMENT_ID: 400 Arm "InvalidRoleAssignmentId",
        "The role assignment ID '{id}' is not valid. The role assignment ID must be a GUID.",
        Source::Service(prose!("bicep issue 8737"));

    // ---- Microsoft.ManagedIdentity --------------------------------------------------------
    IDENTITY_NAME_INVALID: 400 Arm "InvalidResourceName",
        "Resource name '{name}' is invalid. The name can be between 3 and 128 characters, must start with a letter or number, and may contain letters, numbers, hyphens and underscores.",
        Source::Playground(prose!("user-assigned identity naming rules"));

    // ---- Microsoft.KeyVault (ARM) ---------------------------------------------------------
    VAULT_NAME_INVALID: 400 Arm "VaultNameNotValid",
        "The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742",
        Source::Service(prose!("deployment output"));
    VAULT_ALREADY_EXISTS: 409 Arm "VaultAlreadyExists",
        "The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information about VaultAlreadyExists, soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.",
        Source::Service(prose!("arcgis-gitops issue 174"));
    VAULT_DELETED_CONFLICT: 409 Arm "ConflictError",
        "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.",
        Source::Service(prose!("azure-cli issue 29115"));
    VAULT_RECOVER_ELSEWHERE: 400 Arm "BadRequest",
        "The deleted vault '{name}' can only be recovered in its original resource group '{group}' and location '{location}'.",
        Source::Playground(prose!("Key Vault soft delete: a vault is recovered where it was deleted"));
    PURGE_PROTECTION_IRREVERSIBLE: 400 Arm "BadRequest",
        "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.",
        Source::Service(prose!("azure-rest-api-specs issue 18106"));
    SOFT_DELETE_IRREVERSIBLE: 400 Arm "BadRequest",
        "The property \"enableSoftDelete\" can be set to false only for creating new vault. Enabling the 'soft delete' functionality is an irreversible action.",
        Source::Service(prose!("Bicep module README quoting the service"));
    VAULT_PURGE_PROTECTED: 400 Arm "BadRequest",
        "The vault '{vault}' has purge protection enabled and can't be purged before its scheduled purge date ({date}); Key Vault purges it automatically then.",
        Source::Playground(prose!("purge protection forbids purging a deleted vault during retention"));
    PURGE_PROTECTION_NEEDS_SOFT_DELETE: 400 Arm "BadRequest",
        "The property \"enablePurgeProtection\" can be set only when \"enableSoftDelete\" is true. Purge protection is effective only on soft-delete enabled vaults.",
        Source::Playground(prose!("purge protection is only effective with soft delete"));
    RETENTION_OUT_OF_RANGE: 400 Arm "BadRequest",
        "The property \"softDeleteRetentionInDays\" must be between 7 and 90.",
        Source::Playground(prose!("documented range 7-90 days"));
    RETENTION_IMMUTABLE: 400 Arm "BadRequest",
        "The property \"softDeleteRetentionInDays\" cannot be changed once soft delete is enabled on the vault.",
        Source::Playground(prose!("documented: once set, the retention interval cannot be changed"));
    VAULT_PARAMETER_MISSING: 400 Arm "BadRequest",
        "The parameter {parameter} is not specified.",
        Source::Service(prose!("azure-sdk-for-net issue 28677 (accessPolicies)"));
    ACCESS_POLICIES_INVALID: 400 Arm "BadRequest",
        "An invalid value was provided for 'accessPolicies'.",
        Source::Service(prose!("azure-libraries-for-net issue 361"));
    ACCESS_POLICY_FIELD_INVALID: 400 Arm "BadRequest",
        "Invalid value found at accessPolicies[{index}].{field}: {value}",
        Source::Service(prose!("az-204 issue 142"));
    ACCESS_POLICY_LIMIT: 400 Arm "BadRequest",
        "The number of access policies exceeds the maximum of 1024.",
        Source::Playground(prose!("documented limit of 1024 access policies per vault"));
    ACCESS_POLICY_OPERATION_INVALID: 400 Arm "BadRequest",
        "The access policy operation '{kind}' is invalid. Use add, replace or remove.",
        Source::Playground(prose!("accessPolicies/{operationKind} accepts add, replace, remove"));
    VAULT_SKU_INVALID: 400 Arm "BadRequest",
        "The value '{value}' of sku.name is invalid. Allowed values are 'standard' and 'premium'.",
        Source::Playground(prose!("vault sku is standard or premium, family A"));

    // ---- Key Vault data plane (https://{vault}.vault.azure.net) --------------------------
    KV_BAD_API_VERSION: 400 KeyVault "BadParameter",
        "The specified version ({version}) is not recognized. Consider using the latest supported version ({latest}).",
        Source::Service(prose!("comment quoting the service"));
    KV_MISSING_API_VERSION: 400 KeyVault "BadParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
        Source::Playground(prose!("Key Vault requires api-version"));
    KV_WRONG_TENANT: 401 KeyVault "Unauthorized",
        "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{expected}/, found https://sts.windows.net/{found}/.",
        Source::Service(prose!(".NET test fixture copied from a live response"));
    KV_NOT_FOUND_PATH: 404 KeyVault "NotFound",
        "The requested resource '{path}' was not found on this vault. The playground simulates the keys and deletedkeys collections.",
        Source::Playground(prose!("unknown data-plane path"));
    KV_METHOD_NOT_ALLOWED: 405 KeyVault "MethodNotAllowed",
        "The HTTP method '{method}' is not supported on '{path}'.",
        Source::Playground(prose!("data-plane method not supported"));
    KEY_NOT_FOUND: 404 KeyVault "KeyNotFound",
        "A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
        Source::Service(prose!("azure-sdk-for-js keyvault-keys recordings"));
    DELETED_KEY_NOT_FOUND: 404 KeyVault "KeyNotFound",
        "Deleted Key not found: {name}",
        Source::Service(prose!("azure-sdk-for-js recordings of GET /deletedkeys"));
    KEY_NAME_INVALID: 400 KeyVault "BadParameter",
        "The request URI contains an invalid name: {name}",
        Source::Service(prose!("Azure SDK test fixtures"));
    KEY_SIZE_UNSUPPORTED: 400 KeyVault "BadParameter",
        "Unsupported key size ({size}). Supported sizes are [2048, 3072, 4096]",
        Source::Service(prose!("azure-docs issue 88477 (elliptic-curve form)"));
    KV_BODY_NOT_JSON: 400 KeyVault "BadParameter",
        "The request body is not valid JSON: {detail}",
        Source::Playground(prose!("Key Vault's REST reference documents 400 BadParameter for a malformed body but quotes no message; the detail is the JSON reader's, with line and position"));
    KV_PROPERTY_INVALID: 400 KeyVault "BadParameter",
        "Property {property} has invalid value\r\n",
        Source::Service(prose!("azure-sdk-for-go issue 2060"));
    KEY_TYPE_UNSUPPORTED: 400 KeyVault "BadParameter",
        "The playground's Key Vault creates RSA keys only (kty RSA or RSA-HSM); Azure Monitor customer-managed keys are RSA keys. Got kty '{kty}'.",
        Source::Playground(prose!("Azure Monitor CMK requires an RSA key"));
    KV_TAGS_LIMIT: 400 KeyVault "BadParameter",
        "Property tags has invalid value: {detail}",
        Source::Playground(prose!("playground bound on key tags, ARM's numbers: 50 pairs, names 512 and values 256 characters"));
    KEY_VERSIONS_LIMIT: 400 KeyVault "BadParameter",
        "Key '{name}' already has {limit} versions, the most this playground keeps for one key. Key Vault documents no limit on versions; the playground keeps a browser tab from filling up. Use a new key name to go on rotating.",
        Source::Playground(prose!("playground bound: 500 versions per key (Key Vault documents none)"));
    KEY_HSM_NEEDS_PREMIUM: 400 KeyVault "BadParameter",
        "HSM-protected keys (kty '{kty}') require a premium vault; vault '{vault}' is standard.",
        Source::Playground(prose!("RSA-HSM keys need the premium SKU"));
    UNWRAP_FAILED: 400 KeyVault "BadParameter",
        "The value could not be unwrapped with key version {version} and algorithm {alg}: wrong key, wrong algorithm or corrupted data.",
        Source::Playground(prose!("OAEP decryption failure"));
    KV_ACCESS_DENIED: 403 KeyVault "Forbidden" / "AccessDenied",
        "The user, group or application '{caller}' does not have keys {permission} permission on key vault '{vault};location={location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
        Source::Service(prose!("Key Vault AuditEvent sample and CLI output"));
    KV_FORBIDDEN_BY_RBAC: 403 KeyVault "Forbidden" / "ForbiddenByRbac",
        "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {caller}\r\nAction: '{action}'\r\nResource: '{resource}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: {vault};location={location}\r\n",
        Source::Service(prose!("terraform output"));
    KEY_DISABLED: 403 KeyVault "Forbidden" / "KeyDisabled",
        "Operation {operation} is not allowed on a disabled key.",
        Source::Service(prose!("secrets form verbatim; key form in Key Vault fakes"));
    KEY_OPERATION_FORBIDDEN: 403 KeyVault "Forbidden" / "KeyOperationForbidden",
        "Operation {operation} is not permitted on this key.",
        Source::Service(prose!("Azure SDK Key Vault troubleshooting guides"));
    KEY_DELETED_BUT_RECOVERABLE: 409 KeyVault "Conflict" / "ObjectIsDeletedButRecoverable",
        "Key {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.",
        Source::Service(prose!("azure-sdk-for-cpp key tests"));
    KEY_PURGE_PROTECTED: 403 KeyVault "Forbidden",
        "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed. Vault: {vault};location={location}",
        Source::Service(prose!("terraform output"));
    ROTATION_POLICY_INVALID: 400 KeyVault "BadParameter",
        "Invalid key rotation policy: {reason}.",
        Source::Playground(prose!("docs: how-to-configure-key-rotation (P7D minimum, expiryTime at least P28D, one Rotate and one Notify)"));
    KV_UNREACHABLE: 503 Playground "ServiceUnavailable",
        "Key Vault {vault} cannot be reached: {trouble}. This is the playground's simulated Key Vault outage; switch it off in the page to reach the vault again.",
        Source::Playground(prose!("simulated transient Key Vault trouble (seed: timeouts, connection failures, DNS issues)"));

    // ---- Microsoft.OperationalInsights/clusters -------------------------------------------
    CLUSTER_NAME_INVALID: 400 Arm "InvalidParameter",
        "Cluster name is not valid. Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63.",
        SEED;
    CLUSTER_BODY_INVALID: 400 Arm "InvalidParameter",
        "The body of the request is null or in bad format.",
        SEED;
    SKU_NAME_INVALID: 400 Arm "InvalidParameter",
        "SKU name is invalid. Set SKU name to capacityReservation.",
        SEED;
    CAPACITY_WITHOUT_SKU: 400 Arm "InvalidParameter",
        "Capacity was provided but SKU is not capacityReservation. Set SKU name to capacityReservation.",
        SEED;
    MISSING_CAPACITY: 400 Arm "InvalidParameter",
        "Missing Capacity in SKU. Set Capacity value to 1000 or higher in steps of 100 (GB).",
        SEED;
    MISSING_CAPACITY_2021: 400 Arm "InvalidParameter",
        "Missing Capacity in SKU. Set Capacity value to 500, 1000, 2000 or 5000 GB/day.",
        Source::Docs(prose!("logs-dedicated-clusters.md (2021), api-version 2021-06-01"));
    MISSING_CAPACITY_TIERS: 400 Arm "InvalidParameter",
        "Missing Capacity in SKU. Set Capacity value to 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 25000, 50000 GB per day.",
        Source::Docs(prose!("logs-dedicated-clusters.md (2022), api-version 2022-10-01 and later"));
    CAPACITY_NOT_IN_RANGE: 400 Arm "InvalidParameter",
        "Capacity in SKU is not in range. Should be minimum 1000 and up to the max allowed capacity which is available under ‘Usage and estimated cost’ in your workspace.",
        SEED;
    CAPACITY_NOT_A_TIER: 400 Arm "InvalidParameter",
        "Capacity in SKU is not in range. Set Capacity value to {tiers} GB per day.",
        Source::Playground(prose!("api-version {version} accepts only the commitment tiers"));
    CAPACITY_LOCKED: 400 Arm "InvalidParameter",
        "Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update.",
        SEED;
    NO_SKU: 400 Arm "InvalidParameter",
        "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 1000 or higher in steps of 100 (GB).",
        SEED;
    NO_SKU_2021: 400 Arm "InvalidParameter",
        "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 500, 1000, 2000 or 5000 GB/day.",
        Source::Playground(prose!("api-version 2021-06-01 tiers, in that era's missing-capacity wording"));
    NO_SKU_TIERS: 400 Arm "InvalidParameter",
        "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 100, 200, 300, 400, 500, 1,000, 2,000, 5,000, 10,000, 25,000, or 50,000 GB per day.",
        DC_2026;
    IDENTITY_NULL: 400 Arm "InvalidParameter",
        "Identity is null or empty. Set Identity with systemAssigned type.",
        SEED;
    IDENTITY_TYPE_INVALID: 400 Arm "InvalidParameter",
        "Identity type '{type}' is not supported for clusters. A cluster uses a single identity: SystemAssigned or UserAssigned (with exactly one identity in userAssignedIdentities).",
        Source::Playground(prose!("docs: a cluster supports a single managed identity"));
    USER_IDENTITY_NOT_FOUND: 400 Arm "InvalidParameter",
        "The user-assigned identity '{id}' was not found. Create it with Microsoft.ManagedIdentity/userAssignedIdentities before referencing it.",
        Source::Playground(prose!("a referenced user-assigned identity must exist"));
    IDENTITY_NONE_IRREVERSIBLE: 400 Arm "InvalidParameter",
        "The cluster's identity type was set to None, which revoked access to your data. Setting the cluster's identity type to None can't be reverted without contacting support.",
        Source::Playground(prose!("seed: identity None can't be reverted without contacting support"));
    KEY_PROPS_ON_CREATE: 400 Arm "InvalidParameter",
        "KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation.",
        SEED;
    CLUSTER_OPERATION_NOT_SUCCEEDED: 400 Arm "InvalidParameter",
        "Operation cannot be executed now. Async operation is in a state other than succeeded. Cluster must complete its operation before any update operation is performed.",
        SEED;
    CLUSTER_DELETING_IN_PROGRESS: 400 Arm "InvalidParameter",
        "Cluster is in deleting state. Async operation is in progress . Cluster must complete its operation before any update operation is performed.",
        SEED;
    KEY_PROPS_BAD_FORMAT: 400 Arm "InvalidParameter",
        "KeyVaultProperties is not empty but has a bad format. See key identifier update.",
        SEED;
    KEY_VALIDATION_FAILED: 400 Arm "InvalidParameter",
        "Failed to validate key in Key Vault. Could be due to lack of permissions or when key doesn’t exist. Verify that you set key and access policy in Key Vault.",
        SEED;
    KEY_NOT_RECOVERABLE: 400 Arm "InvalidParameter",
        "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection. See Key Vault documentation",
        SEED;
    CLUSTER_OPERATION_IN_PROGRESS: 400 Arm "InvalidParameter",
        "Operation cannot be executed now. Wait for the Async operation to complete and try again.",
        SEED;
    CLUSTER_DELETING: 400 Arm "InvalidParameter",
        "Cluster is in deleting state. Wait for the Async operation to complete and try again.",
        SEED;
    CLUSTER_NOT_FOUND: 404 Arm "ResourceNotFound",
        "Cluster not found, the cluster may have been deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it, or use another name to create a new cluster.",
        SEED;
    CLUSTER_DELETE_WHILE_PROVISIONING: 409 Arm "Conflict",
        "Can't delete a cluster while in provisioning state. Wait for the Async operation to complete and try again.",
        SEED;
    DOUBLE_ENCRYPTION_UNSUPPORTED: 400 Arm "InvalidParameter",
        "{region} doesn’t support Double Encryption for clusters.",
        SEED;
    DOUBLE_ENCRYPTION_IMMUTABLE: 400 Arm "InvalidParameter",
        "Double encryption setting can not be changed after the cluster has been created.",
        Source::Playground(prose!("seed: double encryption can't be changed after creation"));
    AVAILABILITY_ZONES_IMMUTABLE: 400 Arm "InvalidParameter",
        "Availability zones setting can not be changed after the cluster has been created.",
        Source::Playground(prose!("cluster API: isAvailabilityZonesEnabled can't be modified after creation"));
    CLUSTER_LIMIT_REACHED: 400 Arm "InvalidParameter",
        "The max number of cluster per region and subscription is 2. Subscription '{subscription}' already has {count} clusters in region '{region}'.",
        Source::Playground(prose!("seed limit: 2 clusters per region and subscription"));
    CLUSTER_NAME_RESERVED: 409 Arm "Conflict",
        "Cluster name '{name}' is reserved. A cluster with that name was deleted on {deleted} and is in soft-delete period for 14 days; the name is released on {released}. Use another name to create a new cluster.",
        Source::Playground(prose!("seed: deleted cluster names stay reserved for 14 days"));
    IDENTITY_AND_KEY_TOGETHER: 400 Arm "InvalidParameter",
        "Cluster update should not include both identity and key identifier details in the same operation. If you need to update both, the update should be in two consecutive operations.",
        Source::Playground(prose!("seed rule, quoted"));
    KEY_REGION_MISMATCH: 400 Arm "InvalidParameter",
        "Key Vault '{vault}' is in region '{vault_region}' but the cluster is in '{cluster_region}'. Your Azure Key Vault, cluster and linked Log Analytics workspaces must be in the same region.",
        Source::Playground(prose!("seed: Key Vault, cluster and workspaces must be in the same region"));
    READ_ONLY_ASSOCIATED_WORKSPACES: 400 Arm "InvalidParameter",
        "'properties.associatedWorkspaces' is a read only property and cannot be set. Please refer to https://docs.microsoft.com/en-us/azure/azure-monitor/log-query/logs-dedicated-clusters#link-a-workspace-to-the-cluster for more information on how to associate a workspace to the cluster.",
        Source::Service(prose!("azure-rest-api-specs issue 25968"));
    BILLING_TYPE_INVALID: 400 Arm "InvalidParameter",
        "billingType '{value}' is invalid. Set billingType to Cluster or Workspaces.",
        Source::Playground(prose!("billingType is Cluster or Workspaces"));

    // ---- Microsoft.OperationalInsights/workspaces and links ------------------------------
    WORKSPACE_NAME_INVALID: 400 Arm "InvalidParameter",
        "Workspace name must start and end with an alphanumeric character, and may contain only alphanumeric and hyphen characters. Operation Id: '{operation}'",
        Source::Service(prose!("AzureMonitorStarterPacks issue 173"));
    WORKSPACE_NAME_LENGTH: 400 Arm "InvalidParameter",
        "The workspace name must be between 4 and 63 characters.",
        Source::Docs(prose!("Azure portal validation text"));
    WORKSPACE_NAME_NOT_UNIQUE: 409 Arm "Conflict" / "name",
        "The workspace name '{name}' is not unique",
        Source::Service(prose!("azure-quickstart-templates issue 5284"));
    WORKSPACE_SKU_LINKED: 400 Arm "BadRequest",
        "sku.name can not be changed while workspace is linked to cluster",
        Source::Service(prose!("azure-cli issue 23867"));
    WORKSPACE_RETENTION_INVALID: 400 Arm "InvalidParameter",
        "'properties.retentionInDays' must be between 30 and 730 days.",
        Source::Playground(prose!("workspace retention range (interactive retention)"));
    WORKSPACE_SKU_INVALID: 400 Arm "InvalidParameter",
        "The workspace sku '{value}' is invalid. Use PerGB2018, CapacityReservation, Free, Standard, Premium, PerNode or Standalone; LACluster is set by linking to a cluster.",
        Source::Playground(prose!("workspace sku names"));
    LINK_WORKSPACE_NOT_FOUND: 404 Arm "ResourceNotFound",
        "Workspace not found. The workspace you specified doesn’t exist or was deleted.",
        SEED;
    LINK_IN_PROCESS: 409 Arm "Conflict",
        "Workspace link or unlink operation in process.",
        SEED;
    LINK_CLUSTER_NOT_FOUND: 400 Arm "InvalidParameter",
        "Cluster not found, the cluster you specified doesn’t exist or was deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it.",
        SEED;
    LINK_OTHER_CLUSTER: 409 Arm "Conflict",
        "Workspace '{workspace}' is linked to another cluster ('{cluster}'). Workspace link to cluster will fail if it is linked to another cluster; unlink it first.",
        Source::Playground(prose!("seed: link fails if the workspace is linked to another cluster"));
    LINK_REGION_MISMATCH: 400 Arm "InvalidParameter",
        "Workspace '{workspace}' is in region '{workspace_region}' but the cluster is in '{cluster_region}'. Your Azure Key Vault, cluster and linked Log Analytics workspaces must be in the same region.",
        Source::Playground(prose!("seed: workspaces must be in the cluster's region"));
    LINK_CLUSTER_FULL: 400 Arm "InvalidParameter",
        "The maximum number of workspaces that can be linked to a cluster is 1000. Cluster '{cluster}' already has 1000 linked workspaces.",
        Source::Playground(prose!("seed limit: 1000 workspaces per cluster"));
    LINK_OPERATIONS_LIMIT: 400 Arm "InvalidParameter",
        "The number of workspace link operations on particular workspace is limited to 2 in a period of 30 days. Workspace '{workspace}' was linked on {dates}; the next link is possible on {next}.",
        Source::Playground(prose!("seed limit: 2 link operations per workspace in 30 days"));
    LINKED_SERVICE_NAME_INVALID: 400 Arm "InvalidParameter",
        "Linked service '{name}' is not supported here: link a workspace to a dedicated cluster with the linked service named 'cluster' and properties.writeAccessResourceId set to the cluster's resource ID.",
        Source::Playground(prose!("the cluster link is the linked service named 'cluster'"));
    LINKED_SERVICE_BODY_INVALID: 400 Arm "InvalidParameter",
        "The body of the request is null or in bad format. Set properties.writeAccessResourceId to the cluster's resource ID.",
        Source::Playground(prose!("seed message, with the field the link needs"));

    // ---- Authentication: tokens on every surface (entra.rs) ---------------------------------
    ARM_AUTHENTICATION_MISSING: 401 Arm "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is missing.",
        Source::Service(prose!("ARM's answer to a request without credentials (azure-rest-api-specs issues, curl output)"));
    ARM_AUTHENTICATION_FORMAT: 401 Arm "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        Source::Service(prose!("ARM's answer to an Authorization header that is not 'Bearer <token>'"));
    ARM_TOKEN_INVALID: 401 Arm "InvalidAuthenticationToken",
        "The access token is invalid.",
        Source::Service(prose!("ARM's answer to a token it cannot validate (signature, format)"));
    ARM_TOKEN_EXPIRED: 401 Arm "ExpiredAuthenticationToken",
        "The access token expiry UTC time '{exp}' is earlier than current UTC time '{now}'.",
        Source::Service(prose!("ARM's answer to an expired token (azure-cli and azure-powershell issues)"));
    ARM_TOKEN_AUDIENCE: 401 Arm "InvalidAuthenticationTokenAudience",
        "The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
        Source::Service(prose!("ARM's answer to a token for another resource (azure-cli issues)"));
    ARM_TOKEN_TENANT: 401 Arm "InvalidAuthenticationTokenTenant",
        "The access token is from the wrong issuer '{iss}'. It must match the tenant 'https://sts.windows.net/{tenant}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{tenant}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
        Source::Service(prose!("ARM's answer to a token from another tenant (azure-cli issues)"));
    KV_TOKEN_MISSING: 401 KeyVault "Unauthorized",
        "Request is missing a Bearer or PoP token.",
        Source::Service(prose!("Key Vault's challenge to a request without a token (azure-api.md 3.6; SDK challenge policies send this first)"));
    KV_TOKEN_AUDIENCE: 401 KeyVault "Unauthorized",
        "AKV10022: Invalid audience. Expected https://vault.azure.net, found: {aud}.",
        Source::Service(prose!("Key Vault's answer to a token for another resource (azure-sdk issues)"));
    KV_TOKEN_ISSUER: 401 KeyVault "Unauthorized",
        "AKV10032: Invalid issuer. Expected one of {expected}, found {iss}.",
        Source::Service(prose!("Key Vault's answer to a token from another tenant (azure-sdk issues)"));
    KV_TOKEN_EXPIRED: 401 KeyVault "Unauthorized",
        "The access token expired at {exp}; the service's time is {now}. Get a new token.",
        Source::Playground(prose!("Key Vault refuses an expired token with 401; its wording is not documented"));
    KV_TOKEN_INVALID: 401 KeyVault "Unauthorized",
        "The access token is invalid: it is not a token this tenant signed.",
        Source::Playground(prose!("Key Vault refuses a token it cannot validate with 401; its wording is not documented"));
    QUERY_AUTHENTICATION_MISSING: 401 Query "AuthenticationFailed",
        "The 'Authorization' header is missing.",
        Source::Docs(prose!("azure-monitor-docs logs/api/errors.md (next-features.md 3.1)"));
    QUERY_TOKEN_INVALID: 403 Query "InvalidAuthenticationToken",
        "The access token is invalid.",
        Source::Playground(prose!("documented code (logs/api/errors.md); the message is not"));
    QUERY_TOKEN_EXPIRED: 403 Query "InvalidAuthenticationToken",
        "The access token expired at {exp}. Get a new token.",
        Source::Playground(prose!("documented code (logs/api/errors.md); the message is not"));
    QUERY_TOKEN_AUDIENCE: 403 Query "InvalidAuthenticationTokenAudience",
        "The access token was obtained for '{aud}'; the Log Analytics API accepts tokens for 'https://api.loganalytics.io'.",
        Source::Playground(prose!("documented code (logs/api/errors.md); the message is not"));
    QUERY_INSUFFICIENT_ACCESS: 403 Query "InsufficientAccessError",
        "The provided credentials have insufficient access to perform the requested operation",
        Source::Service(prose!("Log Analytics query API output (azure-sdk-for-python issues, Grafana reports)"));
    GRAPH_TOKEN_EMPTY: 401 Graph "InvalidAuthenticationToken",
        "Access token is empty.",
        Source::Service(prose!("Microsoft Graph's answer to a request without a token"));
    GRAPH_TOKEN_INVALID: 401 Graph "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
        Source::Service(prose!("Microsoft Graph's answer to a token for another resource"));
    GRAPH_TOKEN_EXPIRED: 401 Graph "InvalidAuthenticationToken",
        "Lifetime validation failed, the token is expired.",
        Source::Service(prose!("Microsoft Graph's answer to an expired token"));
    INGEST_INVALID_AUTHORIZATION: 403 Ingestion "InvalidAuthorization",
        "The service failed to authenticate the request. Verify that the workspace ID and connection key are valid.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_BAD_DATE: 403 Ingestion "InvalidAuthorization",
        "The x-ms-date header ('{date}') must be the time of the request in RFC 1123 form, within 15 minutes of the service's time ({now}).",
        Source::Playground(prose!("data-collector-api.md requires x-ms-date in RFC 1123 form; the 15-minute bound is Azure Storage's shared-key bound"));

    // ---- Microsoft Entra ID token endpoint (login.microsoftonline.com) ---------------------
    ENTRA_TENANT_NOT_FOUND: 400 Entra "invalid_request",
        "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS90002)"));
    ENTRA_MISSING_PARAMETER: 400 Entra "invalid_request",
        "AADSTS900144: The request body must contain the following parameter: '{param}'.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS900144)"));
    ENTRA_UNSUPPORTED_GRANT: 400 Entra "unsupported_grant_type",
        "AADSTS70003: The app requested an unsupported grant type '{grant}'.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS70003); the playground supports client_credentials and password"));
    ENTRA_APPLICATION_NOT_FOUND: 400 Entra "unauthorized_client",
        "AADSTS700016: Application with identifier '{app}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS700016)"));
    ENTRA_INVALID_SECRET: 401 Entra "invalid_client",
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app}'.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS7000215)"));
    ENTRA_INVALID_SCOPE: 400 Entra "invalid_scope",
        "AADSTS1002012: The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        Source::Service(prose!("Entra ID token endpoint (AADSTS1002012)"));
    ENTRA_RESOURCE_NOT_FOUND: 400 Entra "invalid_resource",
        "AADSTS500011: The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS500011)"));
    ENTRA_USER_NOT_FOUND: 400 Entra "invalid_grant",
        "AADSTS50034: The user account {EmailHidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS50034)"));
    ENTRA_INVALID_PASSWORD: 400 Entra "invalid_grant",
        "AADSTS50126: Error validating credentials due to invalid username or password.",
        Source::Service(prose!("Entra ID token endpoint (AADSTS50126)"));
    ENTRA_NOT_FOUND: 404 Entra "not_found",
        "The playground's Entra ID serves /{tenant}/oauth2/v2.0/token and /{tenant}/v2.0/.well-known/openid-configuration, not {path}.",
        Source::Playground(prose!("only the token endpoint and its discovery documents are simulated"));

    // ---- HTTP Data Collector API ({customerId}.ods.opinsights.azure.com) ------------------
    INGEST_MISSING_API_VERSION: 400 Ingestion "MissingApiVersion",
        "The API version wasn't specified.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_INVALID_API_VERSION: 400 Ingestion "InvalidApiVersion",
        "The API version that you specified wasn't recognized by the service.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_INVALID_CUSTOMER_ID: 400 Ingestion "InvalidCustomerId",
        "The specified workspace ID is invalid.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_MISSING_CONTENT_TYPE: 400 Ingestion "MissingContentType",
        "The content type wasn't specified.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_UNSUPPORTED_CONTENT_TYPE: 400 Ingestion "UnsupportedContentType",
        "The content type wasn't set to application/json.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_MISSING_LOG_TYPE: 400 Ingestion "MissingLogType",
        "The required value log type wasn't specified.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_INVALID_LOG_TYPE: 400 Ingestion "InvalidLogType",
        "The specified log type contained special characters or numerics.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_INVALID_DATA_FORMAT: 400 Ingestion "InvalidDataFormat",
        "An invalid JSON was submitted. The response body might contain more information about how to resolve the error. {detail}",
        Source::Docs(prose!("data-collector-api.md, Return codes"));
    INGEST_PROPERTY_NAMES_COLLIDE: 400 Ingestion "InvalidDataFormat",
        "Properties {names} of record {record} would all be stored in column {column}: a property name can contain only letters, numbers and the underscore (_), every other character becomes '_', and one column holds one value, so all but one of them would be lost. Rename them and post again; nothing of this post was stored.",
        Source::Playground(prose!("documented: \"The property name can contain only letters, numbers, and the underscore (_) character\"; what the service does with other names is undocumented, so the playground refuses rather than lose a value"));
    INGEST_NOT_FOUND: 404 Ingestion "NotFound",
        "Either the provided URL is incorrect or the request is too large.",
        Source::Docs(prose!("data-collector-api.md, Return codes"));

    // ---- Log Analytics Query API (api.loganalytics.io) ------------------------------------
    QUERY_PATH_NOT_FOUND: 404 Query "PathNotFoundError",
        "The requested path does not exist",
        Source::Docs(prose!("azure-monitor-docs logs/api/errors.md"));
    QUERY_SYNTAX_ERROR: 400 Query "BadArgumentError" / "SyntaxError",
        "The request had some invalid properties",
        Source::Service(prose!("azure-sdk-for-js recording against api.loganalytics.io"));
    QUERY_SEMANTIC_ERROR: 400 Query "BadArgumentError" / "SemanticError",
        "The request had some invalid properties",
        Source::Service(prose!("Grafana test captured from live queries"));
    QUERY_BAD_ARGUMENT: 400 Query "BadArgumentError" / "QueryValidationError",
        "The request had some invalid properties: {detail}",
        Source::Service(prose!("BadArgumentError envelope; the inner detail is the playground's"));
    QUERY_RUNAWAY: 400 Query "BadArgumentError" / "E_RUNAWAY_QUERY",
        "{detail}",
        Source::Playground(prose!("playground bound: 64,000,000 bytes of new values per query (Kusto stops runaway queries)"));
    QUERY_UNSUPPORTED: 400 Query "BadArgumentError" / "PlaygroundUnsupported",
        "The request had some invalid properties",
        Source::Playground(prose!("valid KQL outside the playground's subset: refused whole, the construct named in innererror (query/subset.rs)"));
    QUERY_DATA_UNAVAILABLE: 403 Query "Forbidden" / "CustomerManagedKeyUnavailable",
        "{detail}",
        Source::Playground(prose!("seed: data becomes inaccessible and queries fail when key access is revoked"));
    QUERY_DATA_CORRUPTED: 500 Query "InternalServerError" / "DataIntegrityError",
        "{detail}",
        Source::Playground(prose!("a tampered block fails authentication instead of returning data"));

    // ---- Microsoft Graph ------------------------------------------------------------------
    GRAPH_NOT_FOUND: 404 Graph "Request_ResourceNotFound",
        "Resource '{path}' does not exist or one of its queried reference-property objects are not present.",
        Source::Playground(prose!("Microsoft Graph: only /v1.0/me and servicePrincipals are simulated"));
    GRAPH_INVALID_FILTER: 400 Graph "BadRequest",
        "Invalid filter clause",
        Source::Service(prose!("microsoft-graph-docs-contrib issue 4133, azure-cli issue 25164"));
    GRAPH_UNSUPPORTED_FILTER: 400 Graph "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property '{property}' of resource 'ServicePrincipal'.",
        Source::Service(prose!("microsoft-graph-docs-contrib issue 1726 (Graph Explorer output)"));
}

/// An error ready to be rendered: a catalogue entry plus the values of its placeholders.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub spec: &'static ErrorSpec,
    args: Vec<(&'static str, String)>,
    /// A structured `innererror` (the query API nests error detail).
    inner: Option<Value>,
}

impl ApiError {
    pub fn new(spec: &'static ErrorSpec) -> Self {
        ApiError {
            spec,
            args: Vec::new(),
            inner: None,
        }
    }

    /// Fills `{key}` in the message template.
    pub fn arg(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.args.push((key, value.into()));
        self
    }

    /// Replaces the generated `innererror` with a structured one.
    pub fn detail(mut self, inner: Value) -> Self {
        self.inner = Some(inner);
        self
    }

    pub fn message(&self) -> String {
        let mut out = self.spec.message.to_string();
        for (k, v) in &self.args {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }

    /// The body in the envelope of the entry's surface.
    pub fn body(&self) -> Value {
        let message = self.message();
        match self.spec.surface {
            Surface::Arm | Surface::Playground => {
                let mut err = json!({ "code": self.spec.code, "message": message });
                if let Some(target) = self.spec.inner {
                    err["target"] = json!(target);
                }
                json!({ "error": err })
            }
            Surface::KeyVault => {
                let mut err = json!({ "code": self.spec.code, "message": message });
                if let Some(inner) = self.spec.inner {
                    err["innererror"] = json!({ "code": inner });
                }
                json!({ "error": err })
            }
            Surface::Ingestion => json!({ "Error": self.spec.code, "Message": message }),
            Surface::Entra => {
                let id = correlation_id(&message);
                let number: u64 = message
                    .strip_prefix("AADSTS")
                    .and_then(|m| m.split(':').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                json!({
                    "error": self.spec.code,
                    "error_description": format!("{message}\r\nTrace ID: {id}\r\nCorrelation ID: {id}"),
                    "error_codes": [number],
                    "trace_id": id,
                    "correlation_id": id,
                })
            }
            Surface::Graph => {
                // Graph's request ids are GUIDs; here derived from the message and the date the
                // handler sets, so answers stay deterministic.
                let mut inner = match &self.inner {
                    Some(Value::Object(m)) => m.clone(),
                    _ => serde_json::Map::new(),
                };
                let date = inner.get("date").and_then(Value::as_str).unwrap_or("");
                let id = correlation_id(&format!("{message}{date}"));
                inner.insert("request-id".into(), json!(id));
                inner
                    .entry("client-request-id")
                    .or_insert_with(|| json!(id));
                json!({ "error": { "code": self.spec.code, "message": message, "innerError": inner } })
            }
            Surface::Query => {
                let mut err = json!({ "message": message, "code": self.spec.code, "correlationId": correlation_id(&message) });
                if let Some(inner) = &self.inner {
                    err["innererror"] = inner.clone();
                } else if let Some(inner) = self.spec.inner {
                    err["innererror"] = json!({ "code": inner, "message": message });
                }
                json!({ "error": err })
            }
        }
    }
}

/// A stable GUID-shaped id for an error body (FNV-1a of the message), so answers stay
/// deterministic without consuming the engine's random stream.
fn correlation_id(message: &str) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in message.bytes() {
        h ^= b as u128;
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    let x = format!("{h:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// The catalogue entry a response's error came from: same status and code, and a message that
/// matches the template with its placeholders as wildcards.
pub fn identify(status: u16, code: &str, message: &str) -> Option<&'static ErrorSpec> {
    CATALOGUE.iter().copied().find(|e| {
        e.status == status && e.code == code && matches_template(e.message.get(), message)
    })
}

/// [`identify`], preferring the entry whose inner code (Key Vault's `innererror.code`, the query
/// API's) is `inner`: the query API's syntax, semantic and unsupported refusals share one
/// envelope and differ only there.
pub fn identify_with_inner(
    status: u16,
    code: &str,
    inner: Option<&str>,
    message: &str,
) -> Option<&'static ErrorSpec> {
    inner
        .and_then(|inner| {
            CATALOGUE.iter().copied().find(|e| {
                e.status == status
                    && e.code == code
                    && e.inner == Some(inner)
                    && matches_template(e.message.get(), message)
            })
        })
        .or_else(|| identify(status, code, message))
}

/// Whether `text` is `template` with each `{placeholder}` replaced by some string.
pub fn matches_template(template: &str, text: &str) -> bool {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        match rest[open..].find('}') {
            Some(close) => {
                parts.push(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    parts.push(rest);
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return text == template;
    }
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut pos = first.len();
    let end = text.len() - last.len();
    for mid in &parts[1..parts.len() - 1] {
        match text[pos..end].find(mid) {
            Some(i) => pos += i + mid.len(),
            None => return false,
        }
    }
    pos <= end
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.spec.status,
            self.spec.code,
            self.message()
        )
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_query_apis_refusals_are_told_apart_by_their_inner_code() {
        for spec in [
            &QUERY_SYNTAX_ERROR,
            &QUERY_SEMANTIC_ERROR,
            &QUERY_UNSUPPORTED,
        ] {
            let found = identify_with_inner(spec.status, spec.code, spec.inner, spec.message.get());
            assert_eq!(found.map(|e| e.name), Some(spec.name));
        }
    }

    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|e| e.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn placeholders_fill() {
        let e = ApiError::new(&RESOURCE_GROUP_NOT_FOUND).arg("group", "rg1");
        assert_eq!(e.message(), "Resource group 'rg1' could not be found.");
        assert_eq!(e.body()["error"]["code"], "ResourceGroupNotFound");
    }

    #[test]
    fn templates_match_filled_messages_only() {
        assert!(matches_template(
            "Resource group '{group}' could not be found.",
            "Resource group 'x y' could not be found."
        ));
        assert!(!matches_template(
            "Resource group '{group}' could not be found.",
            "Resource group 'x' was not found."
        ));
        assert!(matches_template("plain", "plain"));
        assert!(matches_template("{a}-{b}", "x-y-z"));
        let e = ApiError::new(&LINK_OPERATIONS_LIMIT)
            .arg("workspace", "w")
            .arg("dates", "d")
            .arg("next", "n");
        assert_eq!(
            identify(400, "InvalidParameter", &e.message()).map(|s| s.name),
            Some("LINK_OPERATIONS_LIMIT")
        );
    }

    #[test]
    fn key_vault_envelope_has_innererror() {
        let e = ApiError::new(&KEY_DISABLED).arg("operation", "wrapKey");
        assert_eq!(e.body()["error"]["innererror"]["code"], "KeyDisabled");
    }
}
