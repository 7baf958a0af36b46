; Inno Setup script for jsdesk: per-user install, no admin rights, no network.
; Build (Windows): iscc /DAppVersion=<version> installer\jsdesk.iss
; Input: the PyInstaller one-folder bundle in dist\jsdesk (see build_installer.spec).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6C1B3E0A-2F4D-4B8E-9A61-5D3C7E2B9F10}
AppName=jsdesk
AppVersion={#AppVersion}
AppVerName=jsdesk {#AppVersion}
AppPublisher=jsdesk
AppComments=Rapportering til Jobbsjanseregisteret
VersionInfoVersion={#AppVersion}
VersionInfoProductName=jsdesk
VersionInfoDescription=jsdesk installasjonsprogram
DefaultDirName={localappdata}\Programs\jsdesk
DefaultGroupName=jsdesk
DisableProgramGroupPage=yes
; Per-user install: no UAC prompt, no admin help needed.
PrivilegesRequired=lowest
OutputDir=..\dist
OutputBaseFilename=jsdesk-{#AppVersion}-oppsett
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\jsdesk.exe
ShowLanguageDialog=no

[Languages]
Name: "nb"; MessagesFile: "compiler:Languages\Norwegian.isl"

[Files]
Source: "..\dist\jsdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\jsdesk"; Filename: "{app}\jsdesk.exe"; Comment: "Rapportering til Jobbsjanseregisteret"
Name: "{userprograms}\Avinstaller jsdesk"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\jsdesk.exe"; Description: "Start jsdesk nå"; Flags: nowait postinstall skipifsilent

[Code]
{ The database and its backups live in the user's data folder (platformdirs:
  %LOCALAPPDATA%\jsdesk). They are kept on uninstall unless the user asks
  explicitly to delete them. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\jsdesk');
    if DirExists(DataDir) and (not UninstallSilent) then
    begin
      if MsgBox('Vil du også slette databasen og sikkerhetskopiene i ' + DataDir + '?' + #13#10 +
                'Velg Nei for å beholde dem (anbefalt).',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
    end;
  end;
end;
