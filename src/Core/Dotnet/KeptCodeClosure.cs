using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Dotnet;

/// <summary>
/// The assemblies the runtime must find to run the code the trimmer kept, when that code runs from the untrimmed
/// originals (the shared frameworks' assemblies, compiled ahead of time with ReadyToRun). The trimmer's own copies no
/// longer refer to what it proved unused, but the originals still do: a kept method's body names types whose
/// assemblies the runtime resolves before the method first runs (ReadyToRun fix-ups, or the JIT), and loading a type
/// needs its base types, interfaces, fields and method signatures. So: from each method the trimmer kept (and the
/// methods of the same assembly it calls, which ReadyToRun may have inlined into it), the types its IL, locals and
/// catch clauses name; from each type reached, its declaring type, base type, interfaces, generic constraints, and the
/// signatures of its fields and methods; through type forwarders; to a fixed point.
/// </summary>
public sealed class KeptCodeClosure : IDisposable
{
    /// <summary>The largest assembly read; the biggest of the runtime (System.Private.CoreLib) is about 16 MB.</summary>
    private const long MaxBytes = 256L << 20;

    /// <summary>How deep types may nest (real ones: a few levels); deeper is taken as a loop in damaged metadata.</summary>
    private const int MaxNesting = 64;

    // The tables IL tokens name: TypeRef, TypeDef, Field, MethodDef, MemberRef, StandAloneSig, TypeSpec, MethodSpec.
    private static readonly HashSet<int> EntityTables = [0x01, 0x02, 0x04, 0x06, 0x0A, 0x11, 0x1B, 0x2B];

    private readonly IReadOnlyDictionary<string, string> _assemblies;
    private readonly Dictionary<string, Module?> _modules = new(StringComparer.Ordinal);
    private readonly HashSet<TypeName> _types = [];
    private readonly HashSet<(string Assembly, MethodDefinitionHandle Method)> _bodies = [];
    private readonly Queue<TypeName> _pendingTypes = new();
    private readonly Queue<(Module Module, MethodDefinitionHandle Method)> _pendingBodies = new();

    /// <param name="assemblies">Every assembly that may be reached (name → host path): the app's and the runtime's.</param>
    public KeptCodeClosure(IReadOnlyDictionary<string, string> assemblies) => _assemblies = assemblies;

    /// <summary>A type by the assembly that defines (or forwards) it and its full name, nested types as <c>Outer/Inner</c>.</summary>
    private readonly record struct TypeName(string Assembly, string Name);

    /// <summary>
    /// Follows the methods the trimmer kept in the assembly <paramref name="assembly"/>: those of <paramref name="trimmedCopy"/>
    /// (host path), the trimmer's copy of it, matched to the original's by type full name and method name.
    /// </summary>
    public void AddKept(string assembly, string trimmedCopy) => Reading(assembly, () =>
    {
        if (Open(assembly) is not { } module) return;
        if (module.Reader.AssemblyReferences.Count == 0) return; // it names no other assembly (System.Private.CoreLib): nothing to follow
        var kept = new List<(string Type, HashSet<string> Methods)>();
        Reading(trimmedCopy, () =>
        {
            using var copy = Module.Open(assembly, trimmedCopy) ?? throw new BadImageFormatException("not a managed assembly");
            foreach (var (type, keptHandle) in copy.Types)
                kept.Add((type, copy.Reader.GetTypeDefinition(keptHandle).GetMethods()
                    .Select(m => copy.Reader.GetString(copy.Reader.GetMethodDefinition(m).Name)).ToHashSet(StringComparer.Ordinal)));
        });
        foreach (var (type, methods) in kept) Keep(module, type, methods);
    });

    /// <summary>Follows the type <paramref name="type"/> (full name) of <paramref name="assembly"/> and its methods named <paramref name="methods"/>.</summary>
    public void AddKept(string assembly, string type, IReadOnlySet<string> methods) => Reading(assembly, () =>
    {
        if (Open(assembly) is { } module) Keep(module, type, methods);
    });

    private void Keep(Module module, string type, IReadOnlySet<string> methods)
    {
        if (!module.Types.TryGetValue(type, out var handle)) return;
        Reach(new TypeName(module.Name, type));
        foreach (var method in module.Reader.GetTypeDefinition(handle).GetMethods())
            if (methods.Contains(module.Reader.GetString(module.Reader.GetMethodDefinition(method).Name)))
                ReachBody(module, method);
    }

    /// <summary>The names of the assemblies reached so far, after following everything pending.</summary>
    public IReadOnlySet<string> Reached()
    {
        while (_pendingTypes.Count > 0 || _pendingBodies.Count > 0)
        {
            while (_pendingBodies.TryDequeue(out var body)) Reading(body.Module.Name, () => FollowBody(body.Module, body.Method));
            while (_pendingTypes.TryDequeue(out var type)) Reading(type.Assembly, () => FollowType(type));
        }
        return _types.Select(t => t.Assembly).Where(_assemblies.ContainsKey).ToHashSet(StringComparer.Ordinal);
    }

    public void Dispose()
    {
        foreach (var module in _modules.Values) module?.Dispose();
    }

    private void Reading(string assembly, Action follow)
    {
        try
        {
            follow();
        }
        catch (Exception e) when (IsBrokenMetadata(e))
        {
            throw new TinyImageException($"AddDotnetApp: {_assemblies.GetValueOrDefault(assembly, assembly)} is not an assembly that can be read ({e.Message}); publish the app again (or repair the .NET installation it comes from), or leave trimmedPublish out", e);
        }
    }

    /// <summary>What System.Reflection.Metadata throws on a damaged assembly: mostly BadImageFormatException, not only.</summary>
    private static bool IsBrokenMetadata(Exception e) =>
        e is BadImageFormatException or ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException;

    private Module? Open(string assembly)
    {
        if (_modules.TryGetValue(assembly, out var module)) return module;
        return _modules[assembly] = _assemblies.TryGetValue(assembly, out var path) ? Module.Open(assembly, path) : null;
    }

    private void Reach(TypeName type)
    {
        if (_types.Add(type)) _pendingTypes.Enqueue(type);
    }

    private void ReachBody(Module module, MethodDefinitionHandle method)
    {
        if (_bodies.Add((module.Name, method))) _pendingBodies.Enqueue((module, method));
    }

    private void FollowType(TypeName type)
    {
        if (Open(type.Assembly) is not { } module) return;
        if (!module.Types.TryGetValue(type.Name, out var handle))
        {
            if (module.Forwarders.TryGetValue(type.Name, out var target)) Reach(new TypeName(target, type.Name));
            return;
        }
        var reader = module.Reader;
        var definition = reader.GetTypeDefinition(handle);
        var found = new List<TypeName>();
        var types = new TypeCollector(module, found);
        if (definition.IsNested) found.Add(module.NameOf(definition.GetDeclaringType()));
        types.Handle(definition.BaseType);
        foreach (var implementation in definition.GetInterfaceImplementations())
            types.Handle(reader.GetInterfaceImplementation(implementation).Interface);
        foreach (var parameter in definition.GetGenericParameters())
            foreach (var constraint in reader.GetGenericParameter(parameter).GetConstraints())
                types.Handle(reader.GetGenericParameterConstraint(constraint).Type);
        foreach (var field in definition.GetFields())
            reader.GetFieldDefinition(field).DecodeSignature(types, null);
        foreach (var methodHandle in definition.GetMethods())
        {
            var method = reader.GetMethodDefinition(methodHandle);
            method.DecodeSignature(types, null);
            foreach (var parameter in method.GetGenericParameters()) // checked when a caller instantiates it
                foreach (var constraint in reader.GetGenericParameter(parameter).GetConstraints())
                    types.Handle(reader.GetGenericParameterConstraint(constraint).Type);
        }
        AttributeTypes(module, definition.GetCustomAttributes(), types);
        foreach (var name in found) Reach(name);
    }

    // The types of the custom attributes: reflection that reads them loads them.
    private static void AttributeTypes(Module module, CustomAttributeHandleCollection attributes, TypeCollector types)
    {
        var reader = module.Reader;
        foreach (var attribute in attributes)
        {
            var constructor = reader.GetCustomAttribute(attribute).Constructor;
            if (constructor.Kind == HandleKind.MethodDefinition)
                types.Found.Add(module.NameOf(reader.GetMethodDefinition((MethodDefinitionHandle)constructor).GetDeclaringType()));
            else if (constructor.Kind == HandleKind.MemberReference)
                types.Handle(reader.GetMemberReference((MemberReferenceHandle)constructor).Parent);
        }
    }

    private void FollowBody(Module module, MethodDefinitionHandle handle)
    {
        var reader = module.Reader;
        var method = reader.GetMethodDefinition(handle);
        var found = new List<TypeName>();
        var types = new TypeCollector(module, found);
        found.Add(module.NameOf(method.GetDeclaringType()));
        method.DecodeSignature(types, null);
        AttributeTypes(module, method.GetCustomAttributes(), types);
        if (method.RelativeVirtualAddress != 0 && module.Body(method.RelativeVirtualAddress) is { } body)
        {
            if (!body.LocalSignature.IsNil)
                reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(types, null);
            foreach (var region in body.ExceptionRegions) types.Handle(region.CatchType);
            foreach (var token in ILTokens.Of(body.GetILContent().AsSpan()))
                if (EntityTables.Contains(token >>> 24) && (token & 0xFFFFFF) != 0)
                    FollowToken(module, types, MetadataTokens.EntityHandle(token));
        }
        foreach (var name in found) Reach(name);
    }

    private void FollowToken(Module module, TypeCollector types, EntityHandle token)
    {
        var reader = module.Reader;
        switch (token.Kind)
        {
            case HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification:
                types.Handle(token);
                break;
            case HandleKind.MethodDefinition:
                // A method of the same assembly: ReadyToRun may have inlined it into the method that calls it.
                ReachBody(module, (MethodDefinitionHandle)token);
                break;
            case HandleKind.FieldDefinition:
                types.Found.Add(module.NameOf(reader.GetFieldDefinition((FieldDefinitionHandle)token).GetDeclaringType()));
                break;
            case HandleKind.MemberReference:
                var member = reader.GetMemberReference((MemberReferenceHandle)token);
                if (member.Parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification) types.Handle(member.Parent);
                else if (member.Parent.Kind == HandleKind.MethodDefinition) ReachBody(module, (MethodDefinitionHandle)member.Parent);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    member.DecodeMethodSignature(types, null);
                    // A method of a type of the same assembly (G<int>.M names G through a type specification): it may be
                    // inlined too; every overload of that name is followed.
                    if (module.OwnType(member.Parent) is { } owner)
                        foreach (var method in reader.GetTypeDefinition(owner).GetMethods())
                            if (reader.StringComparer.Equals(reader.GetMethodDefinition(method).Name, reader.GetString(member.Name)))
                                ReachBody(module, method);
                }
                else
                {
                    member.DecodeFieldSignature(types, null);
                }
                break;
            case HandleKind.MethodSpecification:
                var specification = reader.GetMethodSpecification((MethodSpecificationHandle)token);
                FollowToken(module, types, specification.Method);
                specification.DecodeSignature(types, null);
                break;
            case HandleKind.StandaloneSignature:
                var signature = reader.GetStandaloneSignature((StandaloneSignatureHandle)token);
                if (signature.GetKind() == StandaloneSignatureKind.Method) signature.DecodeMethodSignature(types, null);
                break;
        }
    }

    /// <summary>One assembly's metadata, its types by full name and the types it forwards.</summary>
    private sealed class Module : IDisposable
    {
        private readonly PEReader _pe;

        private Module(string name, PEReader pe, MetadataReader reader)
        {
            Name = name;
            _pe = pe;
            Reader = reader;
            foreach (var handle in reader.TypeDefinitions) Types[NameOf(handle).Name] = handle;
            foreach (var handle in reader.ExportedTypes)
            {
                // A nested type's implementation is its outer exported type: walk out to the assembly it is forwarded to.
                var exported = reader.GetExportedType(handle);
                var nested = reader.GetString(exported.Name);
                for (var depth = 0; exported.Implementation.Kind == HandleKind.ExportedType; depth++)
                {
                    if (depth == MaxNesting) throw new BadImageFormatException("exported types nest too deep (a loop?)");
                    exported = reader.GetExportedType((ExportedTypeHandle)exported.Implementation);
                    nested = reader.GetString(exported.Name) + "/" + nested;
                }
                if (exported.IsForwarder && exported.Implementation.Kind == HandleKind.AssemblyReference)
                    Forwarders[FullName(reader.GetString(exported.Namespace), nested)] =
                        reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)exported.Implementation).Name);
            }
        }

        /// <summary>Type specifications already decoded: each names its types once (one can name another many times over).</summary>
        public HashSet<TypeSpecificationHandle> DecodedSpecifications { get; } = [];

        public string Name { get; }

        public MetadataReader Reader { get; }

        public Dictionary<string, TypeDefinitionHandle> Types { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> Forwarders { get; } = new(StringComparer.Ordinal);

        /// <summary>Opens the assembly at <paramref name="hostPath"/>; null when it is a PE file without metadata or over the size limit.</summary>
        public static Module? Open(string name, string hostPath)
        {
            var stream = RegularFile.OpenRead(hostPath);
            if (stream.Length > MaxBytes)
            {
                stream.Dispose();
                return null;
            }
            var pe = new PEReader(stream); // a FileStream: mapped, not read into memory
            try
            {
                if (pe.HasMetadata) return new Module(name, pe, pe.GetMetadataReader());
            }
            catch
            {
                pe.Dispose(); // a damaged one is reported by the caller, naming the file
                throw;
            }
            pe.Dispose();
            return null;
        }

        public MethodBodyBlock? Body(int relativeVirtualAddress)
        {
            try
            {
                return _pe.GetMethodBody(relativeVirtualAddress);
            }
            catch (Exception e) when (IsBrokenMetadata(e))
            {
                return null;
            }
        }

        public TypeName NameOf(TypeDefinitionHandle handle)
        {
            var definition = Reader.GetTypeDefinition(handle);
            var name = Reader.GetString(definition.Name);
            for (var depth = 0; definition.IsNested; depth++)
            {
                if (depth == MaxNesting) throw new BadImageFormatException("nested types nest too deep (a loop?)");
                definition = Reader.GetTypeDefinition(definition.GetDeclaringType());
                name = Reader.GetString(definition.Name) + "/" + name;
            }
            return new TypeName(Name, FullName(Reader.GetString(definition.Namespace), name));
        }

        /// <summary>The assembly and name of a referenced type; null when its scope is not another assembly or this one.</summary>
        public TypeName? NameOf(TypeReferenceHandle handle)
        {
            var reference = Reader.GetTypeReference(handle);
            var name = Reader.GetString(reference.Name);
            for (var depth = 0; reference.ResolutionScope.Kind == HandleKind.TypeReference; depth++)
            {
                if (depth == MaxNesting) throw new BadImageFormatException("nested type references nest too deep (a loop?)");
                reference = Reader.GetTypeReference((TypeReferenceHandle)reference.ResolutionScope);
                name = Reader.GetString(reference.Name) + "/" + name;
            }
            name = FullName(Reader.GetString(reference.Namespace), name);
            return reference.ResolutionScope.Kind switch
            {
                HandleKind.AssemblyReference => new TypeName(Reader.GetString(Reader.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name), name),
                HandleKind.ModuleDefinition => new TypeName(Name, name),
                _ => null,
            };
        }

        /// <summary>
        /// The type of this assembly a member reference's parent names: a type definition, a reference to one of this
        /// module's types, or a generic instance of one; null for anything else.
        /// </summary>
        public TypeDefinitionHandle? OwnType(EntityHandle parent)
        {
            if (parent.Kind == HandleKind.TypeSpecification)
            {
                var blob = Reader.GetBlobReader(Reader.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
                if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return null;
                blob.ReadSignatureTypeCode(); // class or value type
                parent = blob.ReadTypeHandle();
            }
            return parent.Kind switch
            {
                HandleKind.TypeDefinition => (TypeDefinitionHandle)parent,
                HandleKind.TypeReference when NameOf((TypeReferenceHandle)parent) is { } name && name.Assembly == Name && Types.TryGetValue(name.Name, out var own) => own,
                _ => null,
            };
        }

        public void Dispose() => _pe.Dispose();

        private static string FullName(string space, string name) => space.Length == 0 ? name : space + "." + name;
    }

    /// <summary>Collects the types a signature or a type handle names (the values it returns mean nothing).</summary>
    private sealed class TypeCollector(Module module, List<TypeName> found) : ISignatureTypeProvider<byte, object?>
    {
        // Type specifications name others; valid metadata never loops, and this bounds what does.
        private const int MaxDepth = 64;
        private int _depth;

        public List<TypeName> Found => found;

        public void Handle(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    found.Add(module.NameOf((TypeDefinitionHandle)handle));
                    break;
                case HandleKind.TypeReference:
                    if (module.NameOf((TypeReferenceHandle)handle) is { } name) found.Add(name);
                    break;
                case HandleKind.TypeSpecification when _depth < MaxDepth && module.DecodedSpecifications.Add((TypeSpecificationHandle)handle):
                    _depth++;
                    module.Reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                    _depth--;
                    break;
            }
        }

        public byte GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Handle(handle);
            return 0;
        }

        public byte GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            Handle(handle);
            return 0;
        }

        public byte GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            Handle(handle);
            return 0;
        }

        public byte GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public byte GetSZArrayType(byte elementType) => 0;
        public byte GetArrayType(byte elementType, ArrayShape shape) => 0;
        public byte GetByReferenceType(byte elementType) => 0;
        public byte GetPointerType(byte elementType) => 0;
        public byte GetPinnedType(byte elementType) => 0;
        public byte GetGenericInstantiation(byte genericType, ImmutableArray<byte> typeArguments) => 0;
        public byte GetGenericMethodParameter(object? genericContext, int index) => 0;
        public byte GetGenericTypeParameter(object? genericContext, int index) => 0;
        public byte GetFunctionPointerType(MethodSignature<byte> signature) => 0;
        public byte GetModifiedType(byte modifier, byte unmodifiedType, bool isRequired) => 0;
    }
}
