namespace Fidamia.Core.Storage;

/// <summary>The store cannot be used as it is: its message names the database and why (never a password).</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
